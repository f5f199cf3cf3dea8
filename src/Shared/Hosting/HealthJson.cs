using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MoscowTime.Hosting;

/// <summary>
/// The one JSON shape of every probe of both apps (/livez, /readyz, /healthz): one flat object,
/// <c>{"status":…,"reason":…, …each check's data…, "checks":{"name":{"status":…,"reason":…}}}</c>,
/// so that <c>curl -s :8081/healthz | jq .lastBackupAgeSeconds</c> needs no knowledge of check
/// names, and <c>.checks</c> still tells which check said what.
/// Shared by the web app and the sidecar as a linked source file; internal so each keeps its own copy.
/// </summary>
internal static class HealthJson
{
    private static readonly string[] Envelope = ["status", "reason", "checks"];

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["reason"] = string.Join("; ", report.Entries.Values.Select(entry => entry.Description)),
        };
        foreach (var entry in report.Entries.Values)
        {
            foreach (var (key, value) in entry.Data)
            {
                if (Array.IndexOf(Envelope, key) >= 0)
                {
                    throw new InvalidOperationException($"health check data may not be named {key}: the envelope uses it");
                }

                body[key] = value;
            }
        }

        body["checks"] = report.Entries.ToDictionary(
            entry => entry.Key,
            entry => new { status = entry.Value.Status.ToString(), reason = entry.Value.Description });

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
