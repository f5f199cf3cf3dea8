using MoscowTime.Manifests.Tests.Rendering;
using MoscowTime.Testing;

namespace MoscowTime.Manifests.Tests;

/// <summary>kustomize/switch-policy.sh: the way from one podManagementPolicy to the other on a live cluster.</summary>
public sealed class SwitchPolicyScriptTests
{
    private const string Script = "kustomize/switch-policy.sh";

    [Fact]
    public void Dry_run_prints_the_orphaning_delete_then_the_apply_of_the_chosen_overlay()
    {
        var result = RunScript(["parallel", "--dry-run"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            [
                "kubectl delete statefulset moscow-time --cascade=orphan --wait=true",
                "kubectl apply -k kustomize/overlays/parallel",
                "kubectl rollout status statefulset/moscow-time --timeout=5m",
            ],
            result.OutputLines);
    }

    [Fact]
    public void Dry_run_passes_the_namespace_to_every_command()
    {
        var result = RunScript(["ordered", "--namespace", "visits", "--dry-run"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.OutputLines.Length);
        Assert.All(result.OutputLines, line => Assert.StartsWith("kubectl --namespace visits ", line, StringComparison.Ordinal));
        Assert.Contains("kubectl --namespace visits apply -k kustomize/overlays/ordered", result.OutputLines);
    }

    [Fact]
    public void Switch_orphans_the_statefulset_then_applies_the_other_overlay()
    {
        using var kubectl = new StubKubectl(currentPolicy: "OrderedReady");

        var result = RunScript(["parallel", "-n", "visits"], kubectl.Environment);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            [
                "kustomize kustomize/overlays/parallel",
                "--namespace visits get statefulset moscow-time --ignore-not-found -o jsonpath={.spec.podManagementPolicy}",
                "--namespace visits delete statefulset moscow-time --cascade=orphan --wait=true",
                "--namespace visits apply -k kustomize/overlays/parallel",
                "--namespace visits rollout status statefulset/moscow-time --timeout=5m",
            ],
            kubectl.Calls);
    }

    [Fact]
    public void Switch_to_the_policy_already_live_deletes_nothing()
    {
        using var kubectl = new StubKubectl(currentPolicy: "Parallel");

        var result = RunScript(["parallel"], kubectl.Environment);

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain(kubectl.Calls, call => call.StartsWith("delete", StringComparison.Ordinal));
        Assert.Contains("apply -k kustomize/overlays/parallel", kubectl.Calls);
    }

    [Fact]
    public void A_failed_delete_stops_the_switch_before_the_apply()
    {
        using var kubectl = new StubKubectl(currentPolicy: "OrderedReady", failing: "delete");

        var result = RunScript(["parallel"], kubectl.Environment);

        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain(kubectl.Calls, call => call.StartsWith("apply", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData]
    [InlineData("sideways")]
    [InlineData("ordered", "parallel")]
    [InlineData("ordered", "--namespace")]
    public void Bad_arguments_are_refused_with_the_usage(params string[] arguments)
    {
        using var kubectl = new StubKubectl(currentPolicy: "OrderedReady");

        var result = RunScript(arguments, kubectl.Environment);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage:", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(kubectl.Calls);
    }

    [Fact]
    public void A_failed_apply_after_the_delete_prints_the_apply_that_restores_the_previous_statefulset()
    {
        // The StatefulSet is gone and its pods run on unowned: the operator needs the way back.
        using var kubectl = new StubKubectl(currentPolicy: "OrderedReady", failing: "apply");

        var result = RunScript(["parallel", "--namespace", "visits"], kubectl.Environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--namespace visits delete statefulset moscow-time --cascade=orphan --wait=true", kubectl.Calls);
        Assert.DoesNotContain(kubectl.Calls, call => call.Contains("rollout", StringComparison.Ordinal));
        Assert.Contains("  kubectl --namespace visits apply -k kustomize/overlays/ordered", result.StandardError.Split('\n'));
    }

    private static CommandResult RunScript(string[] arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ExternalTool.Run(ExternalTool.Require("bash", "the switch script is a bash script"), [Script, .. arguments], environment: environment);

    /// <summary>A kubectl first on PATH that records its arguments and plays a cluster with one StatefulSet.</summary>
    private sealed class StubKubectl : IDisposable
    {
        private readonly TempDirectory _directory = new("stub-kubectl");

        public StubKubectl(string currentPolicy, string failing = "")
        {
            var stub = _directory.File("kubectl");
            File.WriteAllText(stub, $$"""
                #!/usr/bin/env bash
                echo "$*" >> "{{_directory.File("calls")}}"
                [[ " $* " != *" {{failing}} "* || -z "{{failing}}" ]] || exit 1
                [[ " $* " != *" get statefulset "* ]] || printf '%s' '{{currentPolicy}}'
                """);
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Environment = new Dictionary<string, string>
            {
                ["PATH"] = _directory.Path + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
            };
        }

        public IReadOnlyDictionary<string, string> Environment { get; }

        public string[] Calls => File.Exists(_directory.File("calls")) ? File.ReadAllLines(_directory.File("calls")) : [];

        public void Dispose() => _directory.Dispose();
    }
}
