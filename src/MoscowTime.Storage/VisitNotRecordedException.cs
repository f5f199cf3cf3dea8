namespace MoscowTime.Storage;

/// <summary>A visit that was not committed; the caller must not acknowledge it.</summary>
public sealed class VisitNotRecordedException : Exception
{
    public VisitNotRecordedException(string reason, Exception? inner = null) : base(reason, inner) { }

    public VisitNotRecordedException() { }

    public VisitNotRecordedException(string message) : base(message) { }
}
