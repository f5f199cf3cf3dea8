namespace MoscowTime.Storage;

/// <summary>Configuration section <c>Visits</c>.</summary>
public sealed class VisitStoreOptions
{
    public const string Section = "Visits";

    /// <summary>The SQLite file; its directory is created at start. Container: <c>/data/visits.db</c>.</summary>
    public string DatabasePath { get; set; } = "data/visits.db";

    /// <summary>Visits waiting for a commit before new ones are refused with 503 (back-pressure, not loss).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>The most visits one transaction commits.</summary>
    public int MaxBatchSize { get; set; } = 4_096;
}
