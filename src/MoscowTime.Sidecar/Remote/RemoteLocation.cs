using System.Text.RegularExpressions;

namespace MoscowTime.Sidecar.Remote;

/// <summary>Where this pod's objects live: <c>s3://&lt;bucket&gt;/&lt;prefix&gt;/&lt;POD_NAME&gt;/&lt;backup name&gt;</c>.</summary>
public sealed partial record RemoteLocation(string Bucket, string Prefix, string PodName)
{
    /// <summary>The folder of this pod's objects, ending in '/'.</summary>
    public string PodPrefix => Prefix.Length == 0 ? $"{PodName}/" : $"{Prefix}/{PodName}/";

    public static RemoteLocation From(RemoteOptions options)
    {
        var parts = options.Url!.Trim()[Scheme.Length..].Split('/', 2);
        return new RemoteLocation(parts[0], parts is [_, var prefix] ? prefix.Trim('/') : "", options.PodName!);
    }

    /// <summary>Why <paramref name="url"/> is not a usable <c>s3://bucket/prefix</c>; null when it is.</summary>
    public static string? Problem(string url)
    {
        var trimmed = url.Trim();
        if (!trimmed.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return $"Backup:Remote:Url '{url}' must look like s3://<bucket>/<prefix>";
        }

        var bucket = trimmed[Scheme.Length..].Split('/', 2)[0];
        return BucketName().IsMatch(bucket)
            ? null
            : $"Backup:Remote:Url '{url}' names no valid bucket (3-63 lowercase letters, digits, dots, hyphens)";
    }

    public string KeyFor(string backupName) => PodPrefix + backupName;

    /// <summary>The name of an object in this pod's folder (<c>chain-…/snapshot.db</c> inside a chain), or null for a key outside it.</summary>
    public string? NameOf(string key) => key.StartsWith(PodPrefix, StringComparison.Ordinal) && key.Length > PodPrefix.Length ? key[PodPrefix.Length..] : null;

    /// <summary>For logs and /healthz: the place, never a credential.</summary>
    public override string ToString() => $"s3://{Bucket}/{PodPrefix}";

    private const string Scheme = "s3://";

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
