using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace MoscowTime.Testing;

/// <summary>A real Kestrel host on 127.0.0.1 with a port the OS picks, stopped on dispose.</summary>
public sealed class LoopbackApp : IAsyncDisposable
{
    private LoopbackApp(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => App.Services;

    /// <param name="build">The app's own builder (WebApp.Build, SidecarApp.Build) given args with our URL.</param>
    public static Task<LoopbackApp> StartAsync(Func<string[], WebApplication> build, params string[] args) =>
        StartAtAsync("http://127.0.0.1:0", build, args);

    /// <param name="url">A fixed address, for apps that must know each other's before they start.</param>
    public static async Task<LoopbackApp> StartAtAsync(string url, Func<string[], WebApplication> build, params string[] args)
    {
        var app = build([.. args, "--urls", url]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackApp(app, new Uri(address));
    }

    private int _stopped;

    /// <summary>Stops as SIGTERM would: hosted services get their StopAsync (the sidecar its final pass).</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(timeout.Token);
    }

    /// <summary>Stops first unless stopped already: the apps are never disposed while running, in production either.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Client.Dispose();
        await App.DisposeAsync();
    }
}
