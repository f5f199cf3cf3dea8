using MoscowTime.ServiceDefaults;

namespace MoscowTime.Sidecar.Remote;

/// <summary>Checks a configured remote at start: a typo is one line and exit code 2, not a failure an hour later.</summary>
public sealed class RemoteOptionsValidator : IValidateOptions<RemoteOptions>
{
    public ValidateOptionsResult Validate(string? name, RemoteOptions options)
    {
        var failures = new List<string>();
        OptionRange.Check(failures, "Backup:Remote:SyncInterval", options.SyncInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        OptionRange.Check(failures, "Backup:Remote:SnapshotInterval", options.SnapshotInterval, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30));
        OptionRange.Check(failures, "Backup:Remote:Window", options.Window, TimeSpan.FromMinutes(10), TimeSpan.FromDays(3650));
        OptionRange.Check(failures, "Backup:Remote:DrillInterval", options.DrillInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        OptionRange.Check(failures, "Backup:Remote:AttemptTimeout", options.AttemptTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        OptionRange.Check(failures, "Backup:Remote:RetryDelay", options.RetryDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5));
        if (RemoteLocation.Problem(options.Url!) is { } problem)
        {
            failures.Add(problem);
        }

        if (string.IsNullOrWhiteSpace(options.PodName))
        {
            failures.Add("POD_NAME (or Backup:Remote:PodName) is required when Backup:Remote:Url is set: it names this pod's place in the store");
        }
        else if (options.PodName.Contains('/', StringComparison.Ordinal) || options.PodName is "." or "..")
        {
            failures.Add($"POD_NAME '{options.PodName}' must not contain '/'");
        }

        var endpoint = Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var parsed) ? parsed : null;
        if (endpoint is { UserInfo.Length: > 0 })
        {
            // Not echoed: the endpoint appears in logs and /healthz, so a key in it would leak everywhere.
            failures.Add("Backup:Remote:Endpoint must not carry credentials (user:password@host); give them as " +
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the Secret moscow-time-backup-remote)");
        }
        else if (!string.IsNullOrWhiteSpace(options.Endpoint) && endpoint?.Scheme is not ("http" or "https"))
        {
            failures.Add($"Backup:Remote:Endpoint '{options.Endpoint}' must be an http:// or https:// URL, e.g. http://minio:9000");
        }

        if (string.IsNullOrWhiteSpace(options.Endpoint) && string.IsNullOrWhiteSpace(options.Region))
        {
            failures.Add("AWS_REGION (or Backup:Remote:Region) is required for AWS S3 when Backup:Remote:Endpoint is empty");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
