namespace MoscowTime.Sidecar.Remote;

/// <summary>What the shipper knows about the store, as of one moment; /healthz and /metrics read it.</summary>
/// <param name="WaitingSince">When the oldest commit not yet confirmed in the store was first seen; null when the store holds every one. The process start until the first read of the WAL tells: an unread WAL may hold commits the store lacks.</param>
/// <param name="Chain">The chain being continued: its folder in the store.</param>
/// <param name="FirstRecoverable">The oldest kept chain's start: the first instant a restore can reach, as of the last listing.</param>
/// <param name="LastShippedTime">The time of the newest commit the store holds.</param>
/// <param name="Uploads">Objects confirmed in the store.</param>
/// <param name="Failures">Shipping passes that failed after their retries.</param>
public sealed record ShippingStatus(DateTimeOffset? WaitingSince = null, string? Chain = null, DateTimeOffset? FirstRecoverable = null,
    string? LastObject = null, DateTimeOffset? LastShippedTime = null, string? LastError = null, DateTimeOffset? LastErrorAt = null,
    long Uploads = 0, long Failures = 0)
{
    public TimeSpan Lag(DateTimeOffset now) => WaitingSince is { } since && now > since ? now - since : TimeSpan.Zero;
}

/// <summary>The shipper's shared state: written by its loop and its retention and compaction pass, read by any request.</summary>
public sealed class ShippingState(ObjectStore store, TimeProvider time)
{
    private ShippingStatus _status = new() { WaitingSince = time.GetUtcNow() };

    public string Location => store.Location.ToString();

    public ShippingStatus Status => Volatile.Read(ref _status);

    /// <summary>Applies <paramref name="change"/> to the status it read: a change the other writer made meanwhile is kept.</summary>
    public void Update(Func<ShippingStatus, ShippingStatus> change)
    {
        var seen = Status;
        while (Interlocked.CompareExchange(ref _status, change(seen), seen) is var found && found != seen)
        {
            seen = found;
        }
    }
}
