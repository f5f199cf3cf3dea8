namespace MoscowTime.Web.Tests;

/// <summary>
/// Tests that assert time bounds run alone, after the parallel ones: on a 2-core CI machine a
/// neighbouring load test can stall a healthy loopback call past a 250 ms bound.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive";
}
