using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace MoscowTime.Testing;

/// <summary>
/// An app of ours as a separate process (its published native executable, or <c>dotnet X.dll</c>), on
/// 127.0.0.1 with a port the OS picks: what "another process" and "a real SIGTERM" need.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private const int SignalTerminate = 15;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process) => Process = process;

    public Process Process { get; }
    public Uri? BaseAddress { get; private set; }
    public string Output => string.Join('\n', _output);

    public static string WebApp => Built("WebAppAssembly");
    public static string Sidecar => Built("SidecarAssembly");

    /// <summary>Starts the app and waits until it listens (when <paramref name="listens"/>) or just starts.</summary>
    public static Task<ChildProcess> StartAsync(string assembly, string workingDirectory, bool listens, params string[] args) =>
        StartAsync(assembly, workingDirectory, listens, new Dictionary<string, string>(), args);

    /// <param name="environment">Variables to set in the child, for what only the environment carries (AWS credentials).</param>
    public static async Task<ChildProcess> StartAsync(string assembly, string workingDirectory, bool listens,
        IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(assembly, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (assembly.EndsWith(".dll", StringComparison.Ordinal))
        {
            info.FileName = DotnetHost();
            info.ArgumentList.Insert(0, assembly);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var child = new ChildProcess(Process.Start(info)!);
        child.Process.OutputDataReceived += (_, e) => child.Collect(e.Data);
        child.Process.ErrorDataReceived += (_, e) => child.Collect(e.Data);
        child.Process.BeginOutputReadLine();
        child.Process.BeginErrorReadLine();
        if (listens)
        {
            var exited = child.Process.WaitForExitAsync();
            var started = await Task.WhenAny(child._listening.Task, exited).WaitAsync(TimeSpan.FromSeconds(20));
            if (started == exited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(assembly)} exited with {child.Process.ExitCode}:\n{child.Output}");
            }

            child.BaseAddress = await child._listening.Task;
        }

        return child;
    }

    /// <summary>SIGTERM, as Kubernetes sends it; Process.Kill would send SIGKILL.</summary>
    public void Terminate()
    {
        if (Kill(Process.Id, SignalTerminate) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {Process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await Process.WaitForExitAsync().WaitAsync(timeout);
        Process.WaitForExit(); // drains the redirected output
        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (ListeningOn().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    private static string Built(string name)
    {
        // The test assembly says where the apps are built (an AssemblyMetadata item in its project).
        var path = AppDomain.CurrentDomain.GetAssemblies()
            .SelectMany(assembly => assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
            .First(attribute => attribute.Key == name).Value!;
        return File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"{path} is not built", path);
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
