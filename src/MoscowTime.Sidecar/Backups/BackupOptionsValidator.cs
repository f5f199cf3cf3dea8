using Microsoft.Extensions.Options;

namespace MoscowTime.Sidecar.Backups;

/// <summary>The rules that span options or look at the file system; attributes cover the rest.</summary>
/// <remarks>Not an unwritable backup directory: /healthz reports that and it recovers, where a failed start would crash-loop.</remarks>
public sealed class BackupOptionsValidator : IValidateOptions<BackupOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupOptions options)
    {
        var failures = new List<string>();
        if (options.MaxAge is { } maxAge && maxAge <= options.Interval)
        {
            failures.Add($"Backup:MaxAge ({maxAge}) must be longer than Backup:Interval ({options.Interval}), or every pause between backups would read as stale");
        }

        if (!string.IsNullOrWhiteSpace(options.DatabasePath) && Directory.Exists(options.DatabasePath))
        {
            failures.Add($"Backup:DatabasePath '{options.DatabasePath}' is a directory; it must name the database file, e.g. /data/visits.db");
        }

        if (!string.IsNullOrWhiteSpace(options.Directory) && File.Exists(options.Directory))
        {
            failures.Add($"Backup:Directory '{options.Directory}' is a file; it must name a directory, e.g. /data/backups");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
