using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MoscowTime.Testing;

/// <summary>What <see cref="S3FaultProxy"/> does to the requests it passes on.</summary>
public enum S3Fault
{
    None,

    /// <summary>Every request is answered 503 SlowDown, as S3 does under load.</summary>
    SlowDown,

    /// <summary>PUT bodies reach the store with one byte changed: a store that alters what it keeps.</summary>
    AlterUploads,

    /// <summary>Requests are read and never answered, until the client gives up.</summary>
    Hang,
}

/// <summary>
/// A real HTTP hop on 127.0.0.1 in front of a real S3 server, for the faults s3rver cannot play.
/// The SDK signs the Host it talks to, so the proxy passes that Host on unchanged.
/// </summary>
public sealed class S3FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Transfer-Encoding", "Connection", "Content-Length", "Expect",
    };

    private readonly HttpClient _upstream;
    private readonly System.Collections.Concurrent.ConcurrentQueue<IReadOnlyDictionary<string, string>> _putHeaders = new();
    private int _requests;

    private S3FaultProxy(LoopbackApp app, HttpClient upstream)
    {
        App = app;
        _upstream = upstream;
    }

    public LoopbackApp App { get; }
    public string Endpoint => App.BaseAddress.ToString().TrimEnd('/');
    public S3Fault Fault { get; set; }
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The headers of every PUT that passed, names in lower case: what a stricter store would see.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> PutHeaders => [.. _putHeaders];

    public static async Task<S3FaultProxy> StartAsync(string upstreamEndpoint)
    {
        var upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri(upstreamEndpoint),
        };
        S3FaultProxy? proxy = null;
        var app = await LoopbackApp.StartAsync(args =>
        {
            var builder = WebApplication.CreateSlimBuilder(args);
            var web = builder.Build();
            web.Run(context => proxy!.HandleAsync(context));
            return web;
        });
        proxy = new S3FaultProxy(app, upstream);
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Fault == S3Fault.SlowDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
            return;
        }

        if (Fault == S3Fault.Hang)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        if (context.Request.Method == "PUT")
        {
            _putHeaders.Enqueue(context.Request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString()));
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var bytes = body.ToArray();
        if (Fault == S3Fault.AlterUploads && context.Request.Method == "PUT" && bytes.Length > 0)
        {
            bytes[bytes.Length / 2] ^= 0xFF;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        request.Content = new ByteArrayContent(bytes);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopHeaders.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.Host = context.Request.Host.Value;
        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopHeaders.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body);
    }
}
