using MoscowTime.Hosting;

namespace MoscowTime.Sidecar.Hosting;

/// <summary>Builds the sidecar; tests and other tools call this too, with their own address, clock and paths.</summary>
public static class SidecarApp
{
    public const int DefaultPort = 8081;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json ships beside the binary; data paths stay relative to the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.UseDefaultUrl(DefaultPort);
        builder.AddSidecarServices();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapSidecarEndpoints();
        return app;
    }
}
