using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MoscowTime.ServiceDefaults;

/// <summary>A configuration mistake becomes one line naming the option and exit code 2, not a stack trace that scrolls out of `kubectl logs`.</summary>
public static class StartupGuard
{
    public const int ConfigurationError = 2;

    /// <summary>Runs a web app until it stops.</summary>
    public static Task<int> RunAsync(string name, Func<WebApplication> build) =>
        RunAsync(name, async () =>
        {
            await using var app = build();
            // What ValidateOnStart and Kestrel would reject at start, checked before the host starts:
            // the host would log the same failure first, as a stack trace.
            app.Services.GetService<IStartupValidator>()?.Validate();
            if (InvalidUrl(app.Configuration["urls"]) is { } invalid)
            {
                await Console.Error.WriteLineAsync($"{name}: invalid configuration: urls: {invalid}");
                return ConfigurationError;
            }

            await app.RunAsync();
            return 0;
        });

    /// <summary>Runs a command (such as the sidecar's restore) and returns its exit code.</summary>
    public static async Task<int> RunAsync(string name, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (OperatorError(ex) is { } reason)
        {
            await Console.Error.WriteLineAsync($"{name}: {reason}");
            return ConfigurationError;
        }
    }

    /// <summary>The line for a failure the settings caused; null for anything else, which keeps its stack trace.</summary>
    private static string? OperatorError(Exception ex) => ex switch
    {
        OptionsValidationException invalid => $"invalid configuration: {string.Join("; ", invalid.Failures)}",
        // The configuration binder could not convert a value (Backup__Interval=often): it wraps the
        // parser's exception, and its own message names the key and the type.
        InvalidOperationException { InnerException: FormatException or ArgumentException or OverflowException } =>
            $"invalid configuration: {ex.Message}",
        // Another process has the port. Kestrel logged it with the stack; this line closes the log
        // with the reason, and the exit code says "fix the setup" rather than the runtime's abort.
        IOException { InnerException: AddressInUseException } =>
            $"cannot listen: {ex.Message} Another process has that port; set urls (or ASPNETCORE_HTTP_PORTS) to a free one",
        _ => null,
    };

    private static string? InvalidUrl(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                _ = BindingAddress.Parse(url);
            }
            catch (FormatException ex)
            {
                return ex.Message;
            }
        }

        return null;
    }
}
