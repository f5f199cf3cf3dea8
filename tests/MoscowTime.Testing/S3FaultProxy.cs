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

    /// <summary>
    /// PUT bodies reach the store framed as aws-chunked, signatures and all: what a store that does
    /// not decode aws-chunked (s3rver, with chunk encoding on) keeps. The store's ETag is then the
    /// MD5 of that framing.
    /// </summary>
    KeepChunkSignatures,

    /// <summary>PUT responses carry an ETag that is not the MD5 of the body, as an SSE-KMS object's does.</summary>
    ForeignPutETag,
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
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();
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

    /// <summary>Every request that reached the proxy, as "METHOD /path" (no query): a listing is a GET of the bucket's path.</summary>
    public IReadOnlyList<string> Log => [.. _log];

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
        _log.Enqueue($"{context.Request.Method} {context.Request.Path}");
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

        if (Fault == S3Fault.KeepChunkSignatures && context.Request.Method == "PUT" && bytes.Length > 0)
        {
            bytes = AwsChunked(bytes);
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

        if (Fault == S3Fault.ForeignPutETag && context.Request.Method == "PUT")
        {
            context.Response.Headers.ETag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) + "\"";
        }

        await response.Content.CopyToAsync(context.Response.Body);
    }

    /// <summary>
    /// The start of the payload framed as one aws-chunked chunk and the empty final chunk, as long
    /// as the payload itself: the SDK signs Content-Length, so the store must see the same one.
    /// </summary>
    private static byte[] AwsChunked(byte[] payload)
    {
        var signature = new string('0', 64);
        var trailer = System.Text.Encoding.ASCII.GetBytes($"\r\n0;chunk-signature={signature}\r\n\r\n");
        var kept = payload.Length - $"{0:x8};chunk-signature={signature}\r\n".Length - trailer.Length;
        var header = System.Text.Encoding.ASCII.GetBytes($"{kept:x8};chunk-signature={signature}\r\n");
        return [.. header, .. payload.AsSpan(0, kept), .. trailer];
    }
}
