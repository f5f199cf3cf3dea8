using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace MoscowTime.Monitoring.Tests.Infrastructure;

/// <summary>
/// A real Prometheus of our own: 127.0.0.1 on a free port, its own data directory, stopped on
/// dispose. Never the system service Debian's package may have started.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly TimeSpan StartupAllowance = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private PrometheusServer(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Client { get; }
    public string Log => string.Join('\n', _log);

    /// <summary>Starts Prometheus with <paramref name="configFile"/> and returns once it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string configFile, string dataDirectory)
    {
        var port = FreePort.On(IPAddress.Loopback);
        var info = new ProcessStartInfo(Tool.Prometheus,
        [
            $"--config.file={configFile}",
            $"--storage.tsdb.path={dataDirectory}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var server = new PrometheusServer(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"));
        server._process.OutputDataReceived += (_, e) => server.Collect(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Collect(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();

        await Poll.UntilAsync(
            async () => server._process.HasExited ? HttpStatusCode.Gone : await server.StatusAsync("/-/ready"),
            status => status is HttpStatusCode.OK or HttpStatusCode.Gone,
            StartupAllowance,
            "Prometheus to become ready");
        if (server._process.HasExited)
        {
            throw new InvalidOperationException($"prometheus exited with {server._process.ExitCode}:\n{server.Log}");
        }

        return server;
    }

    /// <summary>GET of an API path; the "data" member of its answer.</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var answer = JsonDocument.Parse(await Client.GetStringAsync(pathAndQuery));
        Assert.Equal("success", answer.RootElement.GetProperty("status").GetString());
        return answer.RootElement.GetProperty("data").Clone();
    }

    /// <summary>The alerts Prometheus holds now, pending or firing.</summary>
    public async Task<IReadOnlyList<ActiveAlert>> AlertsAsync() =>
        [.. (await ApiAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray().Select(alert => new ActiveAlert(
            alert.GetProperty("labels").GetProperty("alertname").GetString()!,
            alert.GetProperty("state").GetString()!,
            Strings(alert.GetProperty("labels")),
            Strings(alert.GetProperty("annotations"))))];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task<HttpStatusCode> StatusAsync(string path)
    {
        try
        {
            using var response = await Client.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return HttpStatusCode.ServiceUnavailable;
        }
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    private static Dictionary<string, string> Strings(JsonElement map) =>
        map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
}

internal sealed record ActiveAlert(string Name, string State, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations)
{
    public override string ToString() => $"{Name}({Labels.GetValueOrDefault("pod")}, {State})";
}
