namespace MoscowTime.Web.Time;

/// <summary>Moscow wall-clock time from the injected <see cref="TimeProvider"/>.</summary>
/// <remarks>Without tz data (chiseled images) "Europe/Moscow" does not resolve: UTC+03:00, kept all year since 2014, stands in.</remarks>
public sealed class MoscowClock(TimeProvider time)
{
    public const string ZoneId = "Europe/Moscow";
    public static readonly TimeSpan FixedOffset = TimeSpan.FromHours(3);

    private readonly TimeZoneInfo? _zone = TimeZoneInfo.TryFindSystemTimeZoneById(ZoneId, out var zone) ? zone : null;

    /// <summary>"Europe/Moscow", or a note that the fixed offset is in use.</summary>
    public string ZoneName => _zone is null ? "UTC+03:00 (fixed; no time-zone data on this system)" : ZoneId;

    public DateTimeOffset Now() => InMoscow(time.GetUtcNow());

    /// <summary>The same instant on Moscow's wall clock.</summary>
    public DateTimeOffset InMoscow(DateTimeOffset instant) =>
        _zone is null ? instant.ToOffset(FixedOffset) : TimeZoneInfo.ConvertTime(instant, _zone);
}
