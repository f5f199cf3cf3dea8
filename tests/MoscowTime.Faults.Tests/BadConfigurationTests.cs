using System.Net;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;

namespace MoscowTime.Faults.Tests;

/// <summary>
/// Each option made invalid in turn, the way an operator's typo would reach the pod: the process
/// must say in one line which option is wrong and why, and exit non-zero, so that `kubectl logs`
/// shows the reason and not a stack trace.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class BadConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new("config");

    [Theory]
    [InlineData("Visits:DatabasePath", "")]
    [InlineData("Visits:DatabasePath", "{directory}")]
    [InlineData("Visits:DatabasePath", "{file}/visits.db")]
    [InlineData("Visits:DatabasePath", "{unwritable}/data/visits.db")]
    [InlineData("Visits:QueueCapacity", "-1")]
    [InlineData("Visits:QueueCapacity", "lots")]
    [InlineData("Visits:MaxBatchSize", "0")]
    [InlineData("Cluster:Peers:0", "moscow-time-1:8080")]
    [InlineData("Cluster:PeerDns", "not a host")]
    [InlineData("Cluster:PeerPort", "0")]
    [InlineData("Cluster:PeerTimeout", "-00:00:01")]
    [InlineData("Cluster:FanOutTimeout", "00:00:00.050")]
    [InlineData("Cluster:RefreshInterval", "soon")]
    [InlineData("urls", "not-a-url")]
    public Task Web_app_names_the_invalid_option_in_one_line_and_exits_non_zero(string option, string value) =>
        AssertRefusedAsync(ChildProcess.WebApp, "moscow-time-web", [.. Apps.WebArgs(_dir.File("visits.db"))], option, value);

    [Theory]
    [InlineData("Backup:DatabasePath", "")]
    [InlineData("Backup:DatabasePath", "{directory}")]
    [InlineData("Backup:Directory", "{file}")]
    [InlineData("Backup:Interval", "-00:00:01")]
    [InlineData("Backup:Interval", "often")]
    [InlineData("Backup:Retain", "0")]
    [InlineData("Backup:MaxAge", "00:00:01")]
    [InlineData("Backup:AttemptTimeout", "00:00:00")]
    [InlineData("urls", "not-a-url")]
    public Task Sidecar_names_the_invalid_option_in_one_line_and_exits_non_zero(string option, string value) =>
        AssertRefusedAsync(ChildProcess.Sidecar, "moscow-time-backup",
            ["--urls", "http://127.0.0.1:0", $"--Backup:DatabasePath={_dir.File("visits.db")}", $"--Backup:Directory={_dir.File("backups")}",
             "--Backup:Interval=00:00:10", "--Logging:LogLevel:Default=Warning"],
            option, value);

    [Theory]
    [InlineData("Backup:DatabasePath", "{directory}")]
    [InlineData("Backup:Directory", "{file}")]
    [InlineData("Backup:Retain", "-3")]
    public Task Restore_command_names_the_invalid_option_in_one_line_and_exits_non_zero(string option, string value) =>
        AssertRefusedAsync(ChildProcess.Sidecar, "moscow-time-backup restore",
            ["restore", $"--Backup:DatabasePath={_dir.File("visits.db")}", $"--Backup:Directory={_dir.File("backups")}"],
            option, value);

    /// <summary>
    /// Not a configuration error by design: a volume that is briefly unwritable must not crash-loop the
    /// pod. The sidecar starts, stays live, and /healthz says what is wrong, naming the directory.
    /// </summary>
    [Fact]
    public async Task Sidecar_with_an_unwritable_backup_directory_runs_and_reports_it_in_healthz()
    {
        var backups = Directory.CreateDirectory(_dir.File("backups")).FullName;
        var database = _dir.File("visits.db");
        await using (var web = await Apps.StartWebAsync(database))
        {
            using var client = new HttpClient { BaseAddress = web.BaseAddress };
            await client.GetStringAsync("/");
        }

        using (WriteProtection.Apply(backups))
        {
            await using var sidecar = await Apps.StartSidecarAsync(database, backups, "--Backup:Interval=00:00:00.100");
            using var client = new HttpClient { BaseAddress = sidecar.BaseAddress };

            var health = await Poll.UntilAsync(() => Probe.GetAsync(client, "/healthz"), probe => probe.Text("lastError") is not null,
                TimeSpan.FromSeconds(10), "a failed backup in /healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
            Assert.Contains(backups, health.Reason, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode);
            Assert.False(sidecar.Process.HasExited);
        }
    }

    /// <summary>A port already taken is a setup mistake too: a clear last line and exit 2, not the runtime's abort (134).</summary>
    [Theory]
    [InlineData("moscow-time-web")]
    [InlineData("moscow-time-backup")]
    public async Task A_port_already_in_use_ends_the_app_with_the_reason_and_exit_2(string name)
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var web = name == "moscow-time-web";
        string[] args = web
            ? ["--urls", address, $"--Visits:DatabasePath={_dir.File("visits.db")}", $"--POD_NAME={Apps.PodName}", "--Logging:LogLevel:Default=Warning"]
            : ["--urls", address, $"--Backup:DatabasePath={_dir.File("visits.db")}", $"--Backup:Directory={_dir.File("backups")}",
               "--Backup:Interval=00:00:10", "--Logging:LogLevel:Default=Warning"];

        var (exitCode, output) = await Apps.RunToEndAsync(web ? ChildProcess.WebApp : ChildProcess.Sidecar, _dir.Path, args);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(exitCode == 2, $"exit code {exitCode}, not 2:\n{output}");
        // The guard writes after the host's logs are flushed, but to stderr: read from two pipes, the logs on stdout
        // may arrive after it, so its place among the lines here is not the process's order.
        Assert.True(lines.Count(line => line.StartsWith($"{name}: cannot listen: ", StringComparison.Ordinal)
            && line.Contains(address, StringComparison.Ordinal) && line.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) == 1,
            $"no one line names the address and the reason:\n{output}");
    }

    private async Task AssertRefusedAsync(string assembly, string name, string[] validArgs, string option, string value)
    {
        var file = _dir.File("a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var unwritable = Directory.CreateDirectory(_dir.File("unwritable")).FullName;
        var invalid = value.Replace("{directory}", _dir.Path, StringComparison.Ordinal)
            .Replace("{file}", file, StringComparison.Ordinal)
            .Replace("{unwritable}", unwritable, StringComparison.Ordinal);

        int exitCode;
        string output;
        using (WriteProtection.Apply(unwritable))
        {
            (exitCode, output) = await Apps.RunToEndAsync(assembly, _dir.Path, [.. validArgs, $"--{option}={invalid}"]);
        }

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(exitCode != 0, $"{option}={invalid}: exit code 0:\n{output}");
        Assert.True(lines is [var line] && line.StartsWith($"{name}: invalid configuration: ", StringComparison.Ordinal),
            $"{option}={invalid}: not one line starting '{name}: invalid configuration:', but:\n{output}");
        Assert.Contains(option.Split(':')[0] is "urls" ? "url" : OptionKey(option), lines[0], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The key an operator sets, without an index: Cluster:Peers:0 is reported as Cluster:Peers.</summary>
    private static string OptionKey(string option) =>
        string.Join(':', option.Split(':').Where(part => !part.All(char.IsAsciiDigit)));

    public void Dispose() => _dir.Dispose();
}
