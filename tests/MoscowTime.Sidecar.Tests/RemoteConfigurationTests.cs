using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class RemoteConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new("remote-config");

    [Theory]
    [InlineData("sidecar", "--Backup:Remote:Url=https://bucket/prefix", "Backup:Remote:Url")]
    [InlineData("sidecar", "--Backup:Remote:Url=s3://Bad_Bucket/prefix", "Backup:Remote:Url")]
    [InlineData("sidecar", "--Backup:Remote:Endpoint=minio:9000", "Backup:Remote:Endpoint")]
    [InlineData("sidecar", "--Backup:Remote:PodName=", "POD_NAME")]
    [InlineData("sidecar", "--Backup:Remote:SyncInterval=00:00:00", "Backup:Remote:SyncInterval")]
    [InlineData("restore", "--Backup:Remote:Window=00:00:01", "Backup:Remote:Window")]
    [InlineData("restore", "--Backup:Remote:PodName=", "POD_NAME")]
    [InlineData("restore", "--Backup:Remote:Url=s3://", "Backup:Remote:Url")]
    public async Task Invalid_remote_settings_exit_with_code_2_and_one_line_naming_the_option(string program, string setting, string option)
    {
        string[] valid = ["--Backup:Remote:Url=s3://backups/site", "--Backup:Remote:Endpoint=http://127.0.0.1:9", "--Backup:Remote:PodName=moscow-time-0"];
        string[] args = program == "restore" ? ["restore", .. valid, setting] : ["--urls", "http://127.0.0.1:0", .. valid, setting];
        await using var process = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: false, args);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var line = Assert.Single(process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sidecar")]
    [InlineData("restore")]
    public async Task An_endpoint_with_credentials_in_it_is_refused_without_repeating_them(string program)
    {
        const string Secret = "wJalrXUtnFEMI-in-the-url";
        string[] remote = ["--Backup:Remote:Url=s3://backups/site", $"--Backup:Remote:Endpoint=http://AKIDEXAMPLE:{Secret}@127.0.0.1:9", "--Backup:Remote:PodName=moscow-time-0"];
        string[] args = program == "restore" ? ["restore", .. remote] : ["--urls", "http://127.0.0.1:0", .. remote];
        await using var process = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: false, args);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Backup:Remote:Endpoint must not carry credentials", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retain_is_ignored_with_one_warning_at_start_naming_Window()
    {
        await using var process = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: true,
        [
            "--urls", "http://127.0.0.1:0", "--Backup:Remote:Url=s3://backups/site", "--Backup:Remote:Endpoint=http://127.0.0.1:9",
            "--Backup:Remote:PodName=moscow-time-0", "--Backup:Remote:Retain=24",
        ]);

        await Poll.UntilAsync(() => process.Output.Contains("Backup:Remote:Window replaces it", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the warning about Retain", () => process.Output);
        Assert.Single(process.Output.Split('\n'), line => line.Contains("Backup:Remote:Retain (24) is ignored", StringComparison.Ordinal));
    }

    public void Dispose() => _dir.Dispose();
}
