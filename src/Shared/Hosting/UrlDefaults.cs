namespace MoscowTime.Hosting;

/// <summary>Shared by the web app and the sidecar as a linked source file; internal so each keeps its own copy.</summary>
internal static class UrlDefaults
{
    /// <summary>
    /// Listens on localhost:<paramref name="port"/> unless ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS,
    /// --urls or Kestrel endpoints say otherwise (container images set ASPNETCORE_HTTP_PORTS).
    /// </summary>
    public static void UseDefaultUrl(this WebApplicationBuilder builder, int port)
    {
        var configuration = builder.Configuration;
        var configured = configuration["urls"] ?? configuration["http_ports"] ?? configuration["https_ports"];
        if (string.IsNullOrEmpty(configured) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls($"http://localhost:{port}");
        }
    }
}
