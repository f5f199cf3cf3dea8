using System.Net;
using System.Text.Json;

namespace MoscowTime.Faults.Tests.Processes;

/// <summary>One answer from a JSON endpoint (a probe, /visits), with the field a test asserts on.</summary>
internal sealed record Probe(HttpStatusCode Status, JsonElement Body)
{
    /// <summary>Why the probe answered as it did: the same field on /readyz and /healthz.</summary>
    public string Reason => Body.GetProperty("reason").GetString() ?? "";

    public string? Text(string property) =>
        Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public long Number(string property) => Body.GetProperty(property).GetInt64();

    public static async Task<Probe> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return new Probe(response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public override string ToString() => $"{(int)Status} {Body}";
}
