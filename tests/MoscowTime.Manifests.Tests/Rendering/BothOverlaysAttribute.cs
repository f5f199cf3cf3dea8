using System.Reflection;
using Xunit.Sdk;

namespace MoscowTime.Manifests.Tests.Rendering;

/// <summary>Runs a theory once per overlay: an invariant must hold whichever one an operator applies.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BothOverlaysAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        [[Kustomize.Ordered], [Kustomize.Parallel]];
}
