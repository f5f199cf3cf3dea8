using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>SIGTERM: the final local backup, then one last shipment of the commits left, before the process exits.</summary>
public sealed class RemoteShutdownTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("remote-shutdown");
    private RemoteStore _store = null!;

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    public async Task InitializeAsync() => _store = await RemoteStore.StartAsync(_dir);

    [Fact]
    public async Task The_last_commits_on_SIGTERM_are_shipped_before_the_process_exits()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: true,
            new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = S3Server.AccessKey,
                ["AWS_SECRET_ACCESS_KEY"] = RemoteStore.Secret,
                ["AWS_EC2_METADATA_DISABLED"] = "true",
            },
            [
                "--urls", "http://127.0.0.1:0",
                $"--Backup:DatabasePath={Database}",
                $"--Backup:Directory={Backups}",
                "--Backup:Interval=01:00:00",
                "--Backup:FinalBackupQuietPeriod=00:00:00.200",
                .. _store.Args(),
            ]);
        await Poll.UntilAsync(() => _store.Keys().Count == 1, TimeSpan.FromSeconds(30), "the first snapshot", () => sidecar.Output);

        VisitsFile.AddVisits(Database, 4);
        sidecar.Terminate();

        Assert.Equal(0, await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(7, _store.RestoreNewest(_dir.File("final.db")));
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();
}
