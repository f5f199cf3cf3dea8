using MoscowTime.Hosting;

namespace MoscowTime.Web.Hosting;

/// <summary>Builds the web app; tests call this too, with their own address, clock and paths.</summary>
public static class WebApp
{
    public const int DefaultPort = 8080;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json ships beside the binary; data paths stay relative to the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.UseDefaultUrl(DefaultPort);
        builder.AddWebServices();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapWebEndpoints();
        return app;
    }
}
