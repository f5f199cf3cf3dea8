using Microsoft.Extensions.Options;

namespace MoscowTime.Web.Hosting;

/// <summary>
/// Turns a configuration mistake into one line naming the option and a non-zero exit code,
/// rather than a stack trace that scrolls the reason out of `kubectl logs`.
/// </summary>
public static class StartupGuard
{
    public const int ConfigurationError = 2;

    public static async Task<int> RunAsync(string name, Func<WebApplication> build)
    {
        try
        {
            await using var app = build();
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"{name}: invalid configuration: {string.Join("; ", ex.Failures)}");
            return ConfigurationError;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // A value of the wrong type, such as Visits__QueueCapacity=abc.
            await Console.Error.WriteLineAsync($"{name}: invalid configuration: {ex.Message}");
            return ConfigurationError;
        }
    }
}
