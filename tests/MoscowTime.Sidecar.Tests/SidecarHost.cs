using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>The real sidecar on 127.0.0.1, in process, with its clock in the test's hands.</summary>
internal sealed class SidecarHost : IAsyncDisposable
{
    private static readonly TimeSpan PassTimeout = TimeSpan.FromSeconds(15);

    private SidecarHost(LoopbackApp app, FakeTimeProvider? time)
    {
        App = app;
        Time = time;
    }

    public LoopbackApp App { get; }
    public FakeTimeProvider? Time { get; }
    public BackupState State => App.Services.GetRequiredService<BackupState>();
    public BackupOptions Options => App.Services.GetRequiredService<IOptions<BackupOptions>>().Value;
    public BackupCatalog Catalog => App.Services.GetRequiredService<BackupCatalog>();

    /// <summary>Passes finished so far, whatever their outcome.</summary>
    public long Passes
    {
        get
        {
            var status = State.Status;
            return status.Taken + status.Skipped + status.Failed;
        }
    }

    /// <param name="time">A fake clock, or null for the system's.</param>
    public static Task<SidecarHost> StartAsync(string database, string directory, FakeTimeProvider? time, params string[] args) =>
        StartAsync(database, directory, time, waitForFirstPass: true, args);

    /// <param name="waitForFirstPass">False to return while the first pass may still be running.</param>
    public static async Task<SidecarHost> StartAsync(
        string database, string directory, FakeTimeProvider? time, bool waitForFirstPass, params string[] args)
    {
        var app = await LoopbackApp.StartAsync(
            a => SidecarApp.Build(a, builder =>
            {
                if (time is not null)
                {
                    builder.Services.AddSingleton<TimeProvider>(time);
                }
            }),
            [
                $"--Backup:DatabasePath={database}",
                $"--Backup:Directory={directory}",
                "--Backup:FinalBackupQuietPeriod=00:00:00",
                "--Logging:LogLevel:Default=Warning",
                .. args,
            ]);
        var host = new SidecarHost(app, time);
        if (waitForFirstPass)
        {
            await host.WaitForPassesAsync(1);
        }

        return host;
    }

    /// <summary>Moves the fake clock on by one interval and waits for the pass that triggers.</summary>
    public async Task<BackupStatus> NextPassAsync()
    {
        var before = Passes;
        Time!.Advance(Options.Interval);
        await WaitForPassesAsync(before + 1);
        return State.Status;
    }

    public Task WaitForPassesAsync(long count) =>
        Poll.UntilAsync(() => Passes >= count, PassTimeout, $"{count} backup passes", () => $"{Passes} passes");

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(string path)
    {
        using var response = await App.Client.GetAsync(path);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body);
    }

    /// <summary>Stops as SIGTERM would (final pass included), then disposes.</summary>
    public ValueTask DisposeAsync() => App.DisposeAsync();
}
