using MoscowTime.ServiceDefaults;

namespace MoscowTime.Sidecar.Backups;

/// <summary>Fails start-up with one line per mistake, each naming its key.</summary>
/// <remarks>Not an unwritable backup directory: /healthz reports that and it recovers, where a failed start would crash-loop.</remarks>
public sealed class BackupOptionsValidator : IValidateOptions<BackupOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupOptions options)
    {
        var failures = new List<string>();
        OptionRange.Check(failures, "Backup:Interval", options.Interval, TimeSpan.FromMilliseconds(50), TimeSpan.FromDays(1));
        OptionRange.Check(failures, "Backup:Retain", options.Retain, 1, 10_000);
        OptionRange.Check(failures, "Backup:AttemptTimeout", options.AttemptTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        OptionRange.Check(failures, "Backup:FinalBackupQuietPeriod", options.FinalBackupQuietPeriod, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        if (options.MaxAge is { } maxAge)
        {
            OptionRange.Check(failures, "Backup:MaxAge", maxAge, TimeSpan.FromMilliseconds(50), TimeSpan.FromDays(30));
            if (maxAge <= options.Interval)
            {
                failures.Add($"Backup:MaxAge ({maxAge}) must be longer than Backup:Interval ({options.Interval}), or every pause between backups would read as stale");
            }
        }

        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            failures.Add("Backup:DatabasePath is required");
        }
        else if (Directory.Exists(options.DatabasePath))
        {
            failures.Add($"Backup:DatabasePath '{options.DatabasePath}' is a directory; it must name the database file, e.g. /data/visits.db");
        }

        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add("Backup:Directory is required");
        }
        else if (File.Exists(options.Directory))
        {
            failures.Add($"Backup:Directory '{options.Directory}' is a file; it must name a directory, e.g. /data/backups");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
