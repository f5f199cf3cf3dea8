using Microsoft.Extensions.Options;

namespace MoscowTime.Hosting;

/// <summary>
/// Turns a configuration mistake into one line naming the option and a non-zero exit code,
/// rather than a stack trace that scrolls the reason out of `kubectl logs`.
/// Shared by the web app and the sidecar as a linked source file; internal so each keeps its own copy.
/// </summary>
internal static class StartupGuard
{
    public const int ConfigurationError = 2;

    /// <summary>Runs a web app until it stops.</summary>
    public static Task<int> RunAsync(string name, Func<WebApplication> build) =>
        RunAsync(name, async () =>
        {
            await using var app = build();
            CheckConfiguration(app);
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
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"{name}: invalid configuration: {string.Join("; ", ex.Failures)}");
            return ConfigurationError;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // A value of the wrong type, such as Backup__Interval=often.
            await Console.Error.WriteLineAsync($"{name}: invalid configuration: {ex.Message}");
            return ConfigurationError;
        }
        catch (FormatException ex) when (ex.Message.StartsWith("Invalid url", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync($"{name}: invalid configuration: urls: {ex.Message}");
            return ConfigurationError;
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Another process (or container of the pod) has the port. Kestrel and the host have
            // logged it already, with the stack; this line closes the log with the reason, and
            // the exit code says "fix the setup" rather than the runtime's abort (134).
            await Console.Error.WriteLineAsync($"{name}: cannot listen: {ex.Message} Another process has that port; set urls (or ASPNETCORE_HTTP_PORTS) to a free one");
            return ConfigurationError;
        }
    }

    /// <summary>
    /// What ValidateOnStart and Kestrel would reject at start, checked before the host starts: the
    /// host would log the same failure first, as a stack trace.
    /// </summary>
    private static void CheckConfiguration(WebApplication app)
    {
        app.Services.GetService<IStartupValidator>()?.Validate();
        var urls = app.Configuration["urls"] ?? "";
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            _ = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
        }
    }
}
