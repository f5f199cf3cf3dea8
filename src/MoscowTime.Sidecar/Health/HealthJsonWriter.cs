using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// One flat JSON object per probe, <c>{"status":…,"reason":…, …the check's data}</c>, so that
/// <c>curl -s :8081/healthz | jq .lastBackupAgeSeconds</c> needs no knowledge of check names.
/// </summary>
public static class HealthJsonWriter
{
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
                body[key] = value;
            }
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
