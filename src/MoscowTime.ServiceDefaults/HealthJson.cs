using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MoscowTime.ServiceDefaults;

/// <summary>
/// The JSON of every probe of both apps: one flat object, <c>{"status":…,"reason":…, …each check's data…,
/// "checks":{"name":{"status":…,"reason":…}}}</c>, so <c>jq .lastBackupAgeSeconds</c> needs no check
/// names. Written value by value, without reflection, so it runs the same under Native AOT.
/// </summary>
public static class HealthJson
{
    private static readonly string[] Envelope = ["status", "reason", "checks"];

    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteString("reason", string.Join("; ", report.Entries.Values.Select(entry => entry.Description)));
        foreach (var (key, value) in report.Entries.Values.SelectMany(entry => entry.Data))
        {
            if (Envelope.Contains(key))
            {
                throw new InvalidOperationException($"health check data may not be named {key}: the envelope uses it");
            }

            json.WritePropertyName(key);
            WriteValue(json, value);
        }

        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("reason", entry.Description);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case string text: json.WriteStringValue(text); break;
            case bool flag: json.WriteBooleanValue(flag); break;
            case int number: json.WriteNumberValue(number); break;
            case long number: json.WriteNumberValue(number); break;
            case double number: json.WriteNumberValue(number); break;
            default: throw new InvalidOperationException($"health check data of type {value.GetType().Name} has no JSON form here");
        }
    }
}
