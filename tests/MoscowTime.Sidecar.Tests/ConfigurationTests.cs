using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new("backup-config");

    [Theory]
    [InlineData("--Backup:Retain=0", "Backup:Retain")]
    [InlineData("--Backup:Interval=00:00:00", "Backup:Interval")]
    [InlineData("--Backup:MaxAge=00:00:30", "Backup:MaxAge")]
    [InlineData("--Backup:Interval=often", "Backup:Interval")]
    [InlineData("--urls=not-a-url", "url")]
    public async Task Invalid_configuration_exits_with_code_2_and_one_line_naming_the_option(string setting, string option)
    {
        await using var sidecar = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: false,
            "--urls", "http://127.0.0.1:0", setting);

        Assert.Equal(2, await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var line = Assert.Single(sidecar.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("moscow-time-backup: invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_with_invalid_configuration_exits_with_code_2()
    {
        await using var restore = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: false,
            "restore", "--Backup:Retain=0");

        Assert.Equal(2, await restore.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var line = Assert.Single(restore.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("moscow-time-backup restore: invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains("Backup:Retain", line, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
