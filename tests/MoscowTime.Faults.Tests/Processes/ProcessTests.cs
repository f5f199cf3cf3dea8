namespace MoscowTime.Faults.Tests.Processes;

/// <summary>
/// Every test here runs real app processes under load and bounds them in time. On a 2-core machine
/// they take turns, so that one test's load cannot starve another's process past its bounds.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTests
{
    public const string Name = "App processes";
}
