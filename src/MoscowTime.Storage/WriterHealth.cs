namespace MoscowTime.Storage;

/// <summary>What the writer last learned about the database; read by the readiness check.</summary>
public sealed record WriterHealth(bool Writable, string Reason);
