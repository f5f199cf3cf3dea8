namespace MoscowTime.Architecture.Tests;

/// <summary>
/// Dependencies run one way inside each assembly: a namespace that uses another is never used by
/// it, directly or round a longer loop. Within the web app: Apis and Pages use Cluster, Cluster
/// uses Pods and Storage; the app's root namespace (Program.cs) composes it from its Hosting
/// registrations and everything else, and nothing uses either.
/// </summary>
public class NamespaceDependencyTests
{
    public static TheoryData<string> Assemblies() =>
    [
        typeof(Web.WebApp).Assembly.Location,
        typeof(Storage.VisitWriter).Assembly.Location,
        typeof(Sidecar.SidecarApp).Assembly.Location,
        typeof(ServiceDefaults.StartupGuard).Assembly.Location,
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_namespace_depends_on_itself_round_a_cycle(string assembly)
    {
        var graph = NamespaceGraph.Of(assembly, "MoscowTime");

        var cycle = CycleFinder.FindCycle(graph);

        Assert.True(cycle is null, $"{Path.GetFileName(assembly)}: {string.Join(" → ", cycle ?? [])}");
    }

    [Fact]
    public void A_cycle_through_method_bodies_is_found_in_a_built_assembly()
    {
        var graph = NamespaceGraph.Of(typeof(NamespaceDependencyTests).Assembly.Location, "MoscowTime.Architecture.Tests.KnownCycle");

        Assert.Equal(
            ["MoscowTime.Architecture.Tests.KnownCycle.Left", "MoscowTime.Architecture.Tests.KnownCycle.Right", "MoscowTime.Architecture.Tests.KnownCycle.Left"],
            CycleFinder.FindCycle(graph));
    }

    [Theory]
    [InlineData("MoscowTime.Web")]
    [InlineData("MoscowTime.Sidecar")]
    public void Nothing_in_an_app_uses_its_composition_root(string root)
    {
        var assembly = root == "MoscowTime.Web" ? typeof(Web.WebApp).Assembly : typeof(Sidecar.SidecarApp).Assembly;
        var registrations = root + ".Hosting";
        var graph = NamespaceGraph.Of(assembly.Location, "MoscowTime");

        Assert.Contains(registrations, graph[root]);
        Assert.Empty(graph.Where(pair => pair.Key != root && pair.Value.Contains(root)).Select(pair => pair.Key));
        Assert.Empty(graph.Where(pair => pair.Key != root && pair.Value.Contains(registrations)).Select(pair => pair.Key));
    }

    [Fact]
    public void The_web_app_namespaces_point_the_expected_way()
    {
        var graph = NamespaceGraph.Of(typeof(Web.WebApp).Assembly.Location, "MoscowTime");

        // Proves the reader sees uses at all, in signatures and in method bodies alike.
        Assert.Contains("MoscowTime.Web.Cluster", graph["MoscowTime.Web.Apis"]);
        Assert.Contains("MoscowTime.Web.Cluster", graph["MoscowTime.Web"]);
    }
}

public class CycleFinderTests
{
    [Fact]
    public void Finds_a_cycle_round_three_namespaces()
    {
        var graph = Graph(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"));

        Assert.Equal(["A", "B", "C", "A"], CycleFinder.FindCycle(graph));
    }

    [Fact]
    public void Finds_a_cycle_reached_only_through_other_nodes()
    {
        var graph = Graph(("A", "B"), ("B", "C"), ("C", "B"));

        Assert.Equal(["B", "C", "B"], CycleFinder.FindCycle(graph));
    }

    [Fact]
    public void A_diamond_is_no_cycle()
    {
        var graph = Graph(("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"));

        Assert.Null(CycleFinder.FindCycle(graph));
    }

    private static Dictionary<string, IReadOnlySet<string>> Graph(params (string From, string To)[] edges) =>
        edges.GroupBy(edge => edge.From).ToDictionary(group => group.Key, group => (IReadOnlySet<string>)group.Select(edge => edge.To).ToHashSet());
}
