namespace MoscowTime.Storage;

/// <summary>What the writer last learned about the database; read by the readiness check.</summary>
public sealed record WriterHealth(bool Writable, string Reason, DateTimeOffset Since)
{
    public static WriterHealth Starting(DateTimeOffset now) => new(false, "the database has not been opened yet", now);
}
