namespace MoscowTime.Sidecar.Health;

/// <summary>What the last restore drills found, for /healthz and the metrics.</summary>
/// <param name="Damaged">Objects the last drill skipped, and one a <c>restore</c> noted (until an operator removes the note).</param>
public sealed record DrillResult(DateTimeOffset? LastSuccess, TimeSpan? LastDuration, DateTimeOffset? Reached, string? LastError,
    DateTimeOffset? LastErrorAt, IReadOnlyList<string> Damaged);

/// <summary>The restore drill's results, shared by the drill, its health check and its meters.</summary>
public sealed class DrillStatus(TimeProvider time)
{
    /// <summary>Since when a drill should have succeeded: the start, until one has.</summary>
    public DateTimeOffset Since { get; } = time.GetUtcNow();

    public DrillResult Last
    {
        get => Volatile.Read(ref field);
        set => Volatile.Write(ref field, value);
    } = new(null, null, null, null, null, []);
}
