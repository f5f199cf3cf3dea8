using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace MoscowTime.Testing;

/// <summary>
/// A real S3-compatible server (s3rver, from npm) on 127.0.0.1 with a port of its own and a
/// directory of its own. It keeps each object as a plain file, so a test can damage one. It accepts
/// the access key S3RVER with any secret, and answers 403 InvalidAccessKeyId to any other key.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string Bucket = "backups";
    public const string Version = "3.7.1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private S3Server(string directory, int port)
    {
        DataDirectory = directory;
        Port = port;
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public string Output => string.Join('\n', _output);

    public static string Script => Repository.Path(".tools", "node_modules", "s3rver", "bin", "s3rver.js");

    /// <summary>Starts s3rver with the bucket <see cref="Bucket"/>.</summary>
    public static async Task<S3Server> StartAsync(string directory)
    {
        if (!File.Exists(Script))
        {
            throw new InvalidOperationException(
                $"s3rver is not installed at {Script}: run `npm install --prefix .tools s3rver@{Version}` in the repository root (.ci/run does)");
        }

        var server = new S3Server(directory, FreePort.On(IPAddress.Loopback));
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) on the same port and directory.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo("node",
            [Script, "--directory", DataDirectory, "--address", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--silent", "--configure-bucket", Bucket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        process.OutputDataReceived += (_, e) => Collect(e.Data, listening);
        process.ErrorDataReceived += (_, e) => Collect(e.Data, listening);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(StartTimeout));
        if (first != listening.Task)
        {
            throw new InvalidOperationException($"s3rver did not start listening on {Endpoint} within {StartTimeout.TotalSeconds} s:\n{Output}");
        }
    }

    /// <summary>Kills the server: the endpoint refuses connections until <see cref="StartAgainAsync"/>.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>The file in which s3rver keeps an object's bytes.</summary>
    public string ObjectFile(string key) => Path.Combine([DataDirectory, Bucket, .. key.Split('/')]) + "._S3rver_object";

    /// <summary>Overwrites a stretch in the middle of an object's bytes, as bit rot or a bad disk would.</summary>
    public void Damage(string key)
    {
        using var file = new FileStream(ObjectFile(key), FileMode.Open, FileAccess.Write);
        file.Position = file.Length / 2;
        file.Write(Enumerable.Repeat((byte)0x5A, (int)Math.Min(4096, file.Length / 4)).ToArray());
    }

    /// <summary>The keys held under <paramref name="prefix"/> (a folder ending in '/'), sorted.</summary>
    public IReadOnlyList<string> Keys(string prefix)
    {
        var root = Path.Combine(DataDirectory, Bucket);
        var folder = Path.Combine([root, .. prefix.TrimEnd('/').Split('/')]);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(folder, "*._S3rver_object", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(root, file)[..^"._S3rver_object".Length])
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private void Collect(string? line, TaskCompletionSource listening)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (line.Contains("S3rver listening on", StringComparison.Ordinal))
        {
            listening.TrySetResult();
        }
    }
}
