namespace MoscowTime.Sidecar.Remote;

/// <summary>What the shipper knows about the store, as of one moment; /healthz and /metrics read it.</summary>
public sealed record ShippingStatus
{
    /// <summary>When the oldest commit not yet confirmed in the store was first seen; null when the store holds every one. The process start until the first read of the WAL tells: an unread WAL may hold commits the store lacks.</summary>
    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>The chain being continued: its folder in the store.</summary>
    public string? Chain { get; init; }

    /// <summary>The oldest kept chain's start: the first instant a restore can reach, as of the last listing.</summary>
    public DateTimeOffset? FirstRecoverable { get; init; }

    public string? LastObject { get; init; }

    /// <summary>The time of the newest commit the store holds.</summary>
    public DateTimeOffset? LastShippedTime { get; init; }

    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Objects confirmed in the store, and shipping passes that failed after their retries.</summary>
    public long Uploads { get; init; }
    public long Failures { get; init; }

    public TimeSpan Lag(DateTimeOffset now) => WaitingSince is { } since && now > since ? now - since : TimeSpan.Zero;
}

/// <summary>The shipper's shared state: written by its loop only, read by any request.</summary>
public sealed class ShippingState(ObjectStore store, TimeProvider time)
{
    private ShippingStatus _status = new() { WaitingSince = time.GetUtcNow() };

    public string Location => store.Location.ToString();

    public ShippingStatus Status => Volatile.Read(ref _status);

    public void Update(Func<ShippingStatus, ShippingStatus> change) => Volatile.Write(ref _status, change(Status));
}
