using MoscowTime.Testing;

namespace MoscowTime.Faults.Tests.Processes;

/// <summary>The Release builds of the web app and the sidecar as separate processes on 127.0.0.1.</summary>
internal static class Apps
{
    public const string PodName = "moscow-time-0";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts the web app on a port the OS picks and returns once it listens.</summary>
    public static Task<ChildProcess> StartWebAsync(string database, params string[] args) =>
        ChildProcess.StartAsync(ChildProcess.WebApp, WorkingDirectory(database), listens: true, [.. WebArgs(database), .. args]);

    /// <summary>Starts the sidecar on a port the OS picks and returns once it listens.</summary>
    public static Task<ChildProcess> StartSidecarAsync(string database, string backups, params string[] args) =>
        StartSidecarAsync(database, backups, new Dictionary<string, string>(), args);

    /// <param name="environment">Variables for what only the environment carries (web identity, the STS endpoint).</param>
    public static Task<ChildProcess> StartSidecarAsync(string database, string backups, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        ChildProcess.StartAsync(ChildProcess.Sidecar, WorkingDirectory(database), listens: true, environment,
        [
            "--urls", "http://127.0.0.1:0",
            $"--Backup:DatabasePath={database}",
            $"--Backup:Directory={backups}",
            "--Backup:FinalBackupQuietPeriod=00:00:00",
            "--Logging:LogLevel:Default=Warning",
            .. args,
        ]);

    /// <summary>A remote in <paramref name="store"/> under <paramref name="prefix"/>, retried quickly: what shipping tests give the sidecar.</summary>
    public static string[] RemoteArgs(S3Server store, string prefix) =>
    [
        $"--AWS_ACCESS_KEY_ID={S3Server.AccessKey}",
        "--AWS_SECRET_ACCESS_KEY=any",
        $"--Backup:Remote:Url=s3://{S3Server.Bucket}/{prefix}",
        $"--Backup:Remote:Endpoint={store.Endpoint}",
        $"--Backup:Remote:PodName={PodName}",
        "--Backup:Remote:AttemptTimeout=00:00:05",
        "--Backup:Remote:RetryDelay=00:00:00.050",
    ];

    /// <summary>Runs the init container's <c>restore</c> to its end.</summary>
    public static Task<(int ExitCode, string Output)> RestoreAsync(string database, string backups) =>
        RunToEndAsync(ChildProcess.Sidecar, WorkingDirectory(database),
            "restore", $"--Backup:DatabasePath={database}", $"--Backup:Directory={backups}");

    /// <summary>Runs an app that is expected to exit by itself (a bad configuration, a one-shot command).</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(string assembly, string workingDirectory, params string[] args)
    {
        await using var child = await ChildProcess.StartAsync(assembly, workingDirectory, listens: false, args);
        try
        {
            var exitCode = await child.WaitForExitAsync(CommandTimeout);
            return (exitCode, child.Output);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Path.GetFileName(assembly)} {string.Join(' ', args)} still runs after {CommandTimeout}:\n{child.Output}");
        }
    }

    public static string[] WebArgs(string database) =>
    [
        "--urls", "http://127.0.0.1:0",
        $"--Visits:DatabasePath={database}",
        $"--POD_NAME={PodName}",
        "--Logging:LogLevel:Default=Warning",
    ];

    /// <summary>SIGTERM, then the exit code; the process must be gone within Kubernetes' grace period.</summary>
    public static async Task<int> StopAsync(ChildProcess child)
    {
        if (child.Process.HasExited)
        {
            return child.Process.ExitCode;
        }

        child.Terminate();
        return await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    private static string WorkingDirectory(string database) => Path.GetDirectoryName(Path.GetFullPath(database))!;
}
