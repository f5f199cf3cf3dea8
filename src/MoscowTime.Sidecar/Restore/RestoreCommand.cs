using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Restore;

/// <summary>
/// <c>restore [--from &lt;backup file&gt;]</c>: the init container's job, one pass and exit, no web server; or
/// <c>restore --as-of &lt;UTC instant&gt; --output &lt;file&gt;</c>, by hand. Reads the same <c>Backup__*</c> settings as the sidecar.
/// </summary>
public static class RestoreCommand
{
    public const string Verb = "restore";
    public const string Name = "moscow-time-backup restore";

    /// <returns>0 when the database is intact, restored, or there is nothing to restore from; 1 when it cannot be made usable or the remote cannot be asked.</returns>
    public static async Task<int> RunAsync(string[] args, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddBackupOptions();
        builder.Services.AddRemoteOptions(builder.Configuration);
        if (RemoteOptions.IsConfigured(builder.Configuration))
        {
            builder.Services.AddSingleton<ObjectStore>();
            builder.Services.AddSingleton<RemoteHistory>();
        }

        builder.Services.AddSingleton<DatabaseRestorer>();
        builder.Services.AddSingleton<PointInTimeRestore>();
        configure?.Invoke(builder);

        // Disposing the host flushes the console log before the process exits.
        using var host = builder.Build();
        _ = host.Services.GetRequiredService<IOptions<BackupOptions>>().Value; // validates, like ValidateOnStart
        _ = host.Services.GetRequiredService<IOptions<RemoteOptions>>().Value;
        try
        {
            return builder.Configuration["as-of"] is { } asOf
                ? await host.Services.GetRequiredService<PointInTimeRestore>().RunAsync(asOf, builder.Configuration["output"])
                : await host.Services.GetRequiredService<DatabaseRestorer>().RunAsync(builder.Configuration["from"]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            host.Services.GetRequiredService<ILogger<DatabaseRestorer>>().LogCritical(ex, "Restore failed: {Reason}", ex.Message);
            return DatabaseRestorer.Failed;
        }
    }
}
