using YamlDotNet.Serialization;

namespace MoscowTime.Monitoring.Tests.Infrastructure;

/// <summary>The alerts in their two forms, and the files around them.</summary>
internal static class RuleFiles
{
    /// <summary>The one source of truth.</summary>
    public static string Rules => Repository.Path("monitoring", "moscow-time.rules.yml");

    public static string PrometheusRule => Repository.Path("kustomize", "components", "monitoring", "prometheusrule.yaml");
    public static string MakePrometheusRule => Repository.Path("monitoring", "make-prometheusrule.sh");
    public static string PlainConfig => Repository.Path("monitoring", "prometheus.yml");
    public static string Runbooks => Repository.Path("docs", "runbooks.md");

    public static IEnumerable<string> UnitTests =>
        Directory.EnumerateFiles(Repository.Path("monitoring", "tests"), "*.test.yml").Order(StringComparer.Ordinal);

    public static Dictionary<object, object> Read(string path) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(path));

    public static IReadOnlyList<Alert> Alerts() =>
        [.. Groups(Read(Rules)).SelectMany(group => List(group, "rules")).Select(rule => new Alert(rule))];

    public static IEnumerable<Dictionary<object, object>> Groups(Dictionary<object, object> file) => List(file, "groups");

    public static IEnumerable<Dictionary<object, object>> List(Dictionary<object, object> node, string key) =>
        node.TryGetValue(key, out var value) && value is List<object> list ? list.Cast<Dictionary<object, object>>() : [];

    public sealed class Alert(Dictionary<object, object> rule)
    {
        public string Name { get; } = (string)rule["alert"];
        public string Expression { get; } = (string)rule["expr"];
        public string? For { get; } = rule.TryGetValue("for", out var @for) ? (string)@for : null;
        public IReadOnlyDictionary<string, string> Labels { get; } = Strings(rule, "labels");
        public IReadOnlyDictionary<string, string> Annotations { get; } = Strings(rule, "annotations");

        public override string ToString() => Name;

        private static Dictionary<string, string> Strings(Dictionary<object, object> rule, string key) =>
            rule.TryGetValue(key, out var value) && value is Dictionary<object, object> map
                ? map.ToDictionary(pair => (string)pair.Key, pair => (string)pair.Value, StringComparer.Ordinal)
                : [];
    }
}
