namespace MoscowTime.Storage;

/// <summary>A visit that was not committed; the caller must not acknowledge it.</summary>
public sealed class VisitNotRecordedException(string reason, Exception? inner = null) : Exception(reason, inner);
