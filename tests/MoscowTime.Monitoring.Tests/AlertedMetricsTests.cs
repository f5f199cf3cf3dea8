using System.Text.RegularExpressions;

namespace MoscowTime.Monitoring.Tests;

/// <summary>
/// The series the alerts read, in fresh processes (as the pods run them, not beside other tests):
/// already there at 0 before anything happened, so the first rejected visit or failed pass is an
/// increase that the alert sees, and then counting what happened one for one.
/// </summary>
public sealed class AlertedMetricsTests : IDisposable
{
    private readonly TempDirectory _dir = new("alerted-metrics");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Web_app_exports_its_counters_and_the_cluster_gauge_at_zero_before_any_visit()
    {
        await using var web = await ChildProcess.StartAsync(ChildProcess.WebApp, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Visits:DatabasePath={_dir.File("visits.db")}", "--Logging:LogLevel:Default=Warning");

        var metrics = await _http.GetStringAsync(new Uri(web.BaseAddress!, "/metrics"));

        Assert.Equal(("counter", "0"), Sample(metrics, "moscowtime_visits_rejected_total"));
        Assert.Equal(("counter", "0"), Sample(metrics, "moscowtime_visits_recorded_total"));
        Assert.Equal(("gauge", "0"), Sample(metrics, "moscowtime_cluster_peers_unanswered"));
        Assert.Equal(("histogram", "0"), Sample(metrics, "moscowtime_visits_commit_duration_seconds", "_count"));
    }

    [Fact]
    public async Task A_visit_refused_with_503_counts_one_rejection_and_no_recorded_visit()
    {
        var database = _dir.File("visits.db");
        await using var web = await ChildProcess.StartAsync(ChildProcess.WebApp, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Visits:DatabasePath={database}", "--Logging:LogLevel:Default=None");
        var metrics = new Uri(web.BaseAddress!, "/metrics");
        (await _http.GetAsync(web.BaseAddress)).EnsureSuccessStatusCode();

        using (WriteProtection.Apply(_dir.Path))
        using (WriteProtection.Apply(database + "-wal"))
        {
            using var refused = await _http.GetAsync(web.BaseAddress);
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        var after = await _http.GetStringAsync(metrics);
        Assert.Equal(("counter", "1"), Sample(after, "moscowtime_visits_rejected_total"));
        Assert.Equal(("counter", "1"), Sample(after, "moscowtime_visits_recorded_total"));
    }

    [Fact]
    public async Task Sidecar_exports_its_backup_counters_at_zero_before_any_pass()
    {
        await using var sidecar = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Backup:DatabasePath={_dir.File("visits.db")}", $"--Backup:Directory={_dir.File("backups")}",
            "--Backup:Interval=01:00:00", "--Logging:LogLevel:Default=Warning");

        var metrics = await _http.GetStringAsync(new Uri(sidecar.BaseAddress!, "/metrics"));

        Assert.Equal(("counter", "0"), Sample(metrics, "moscowtime_backups_failed_total"));
        Assert.Equal(("counter", "0"), Sample(metrics, "moscowtime_backups_taken_total"));
        Assert.Equal("gauge", Sample(metrics, "moscowtime_backup_healthy").Type);
    }

    /// <summary>The family's declared type and the unlabelled sample's value.</summary>
    private static (string Type, string Value) Sample(string metrics, string family, string suffix = "")
    {
        var type = Regex.Match(metrics, $"^# TYPE {Regex.Escape(family)} (\\w+)$", RegexOptions.Multiline);
        var value = Regex.Match(metrics, $"^{Regex.Escape(family + suffix)} (\\S+)$", RegexOptions.Multiline);
        Assert.True(type.Success && value.Success, $"{family + suffix} is not exported at start");
        return (type.Groups[1].Value, value.Groups[1].Value);
    }

    public void Dispose()
    {
        _http.Dispose();
        WriteProtection.Remove(_dir.File("visits.db-wal"));
        WriteProtection.Remove(_dir.Path);
        _dir.Dispose();
    }
}
