namespace MoscowTime.Sidecar.Backups;

/// <summary>A backup that retrying at once cannot fix (no space, unwritable directory, failed verification); /healthz shows its message.</summary>
public sealed class BackupFailedException(string message, Exception? inner = null) : Exception(message, inner);
