using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.RuntimeDependencies;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using MoscowTime.Sidecar.Backups;
using Polly;

namespace MoscowTime.Sidecar.Remote;

/// <summary>One object as a listing shows it.</summary>
public sealed record RemoteObject(string Key, string Name, long Size);

/// <summary>A local file's digests: SHA-256 (hex) for the object's metadata and restore, MD5 for Content-MD5 (base64) and the ETag (hex).</summary>
public sealed record FileDigests(string Sha256, string Md5Hex, string Md5Base64);

/// <summary>The few S3 calls remote backups make, on this pod's folder only. Each call is one attempt: the SDK's own retries are off, so that <see cref="Backups.Retries"/> decides, on the injected clock.</summary>
public sealed partial class ObjectStore : IDisposable
{
    /// <summary>User metadata (<c>x-amz-meta-sha256</c>): the SHA-256 of the local file, in hex.</summary>
    public const string ChecksumKey = "sha256";

    /// <summary>The signing region with an Endpoint and no region set: what S3-compatible stores expect.</summary>
    private const string DefaultSigningRegion = "us-east-1";

    /// <summary>The size of a copy buffer that stays out of the large-object heap.</summary>
    private const int BufferBytes = 81920;

    private readonly AmazonS3Client _client;
    private readonly RemoteOptions _options;

    // Web identity (EKS IRSA) asks STS for keys; Native AOT cannot load the STS client by reflection as the SDK otherwise
    // does. AssumeRoleWithWebIdentity is unsigned, and the client's config still honours AWS_ENDPOINT_URL_STS.
    static ObjectStore() => GlobalRuntimeDependencyRegistry.Instance.RegisterSecurityTokenServiceClient(context =>
        new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), context.SecurityTokenServiceClientContextData.Region));

    /// <param name="configuration">Where static keys come from, when there are any; see <see cref="Credentials"/>.</param>
    public ObjectStore(IOptions<RemoteOptions> remote, IConfiguration configuration, TimeProvider time, ILogger<ObjectStore> logger)
    {
        var options = _options = remote.Value;
        Retrying = Retries.Create(options.AttemptTimeout, options.RetryDelay, RemoteFailure.IsTransient, time, arguments =>
            LogRetrying(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, Describe(arguments.Outcome.Exception)));
        Once = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(options.AttemptTimeout).Build();
        Location = RemoteLocation.From(options);
        var config = new AmazonS3Config
        {
            MaxErrorRetry = 0,
            Timeout = options.AttemptTimeout,
        };
        if (!string.IsNullOrWhiteSpace(options.Endpoint))
        {
            config.ServiceURL = options.Endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = string.IsNullOrWhiteSpace(options.Region) ? DefaultSigningRegion : options.Region;
            // Many S3-compatible stores reject the default x-amz-checksum-* headers and aws-chunked bodies; the
            // Content-MD5 and ETag every S3 store knows (or our own SHA-256 read-back) confirm what was stored instead.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        _client = Credentials(configuration) is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
    }

    public RemoteLocation Location { get; }

    /// <summary>One line an operator can act on; see <see cref="RemoteFailure"/>.</summary>
    public string Describe(Exception? exception) => RemoteFailure.Describe(exception, _options, Location);

    /// <summary>How requests are made: retried while what failed passes by itself, each attempt within Backup:Remote:AttemptTimeout.</summary>
    public ResiliencePipeline Retrying { get; }

    /// <summary>One attempt within Backup:Remote:AttemptTimeout: at shutdown, and for a delete that restore can do without.</summary>
    public ResiliencePipeline Once { get; }

    /// <param name="content">Sent from its start and left open, so that a retry sends the same bytes.</param>
    /// <param name="digests">Of <paramref name="content"/>: the SHA-256 goes into the metadata, the MD5 into Content-MD5.</param>
    /// <returns>True when the store's ETag for the object is the MD5 of what was sent.</returns>
    public async Task<bool> PutAsync(string name, Stream content, FileDigests digests, CancellationToken cancellationToken)
    {
        content.Position = 0;
        var request = new PutObjectRequest
        {
            BucketName = Location.Bucket,
            Key = Location.KeyFor(name),
            InputStream = content,
            AutoCloseStream = false,
            ContentType = "application/vnd.sqlite3",
            UseChunkEncoding = false,
            // A store that checks it (S3, MinIO, R2, Ceph RGW) refuses a body that arrives different (400 BadDigest);
            // with checksums only "when required" the SDK sends it as given and computes none of its own.
            MD5Digest = digests.Md5Base64,
        };
        request.Metadata.Add(ChecksumKey, digests.Sha256);
        var response = await _client.PutObjectAsync(request, cancellationToken);
        return string.Equals(response.ETag?.Trim('"'), digests.Md5Hex, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Downloads the object to <paramref name="path"/>, then checks the file's SHA-256 against the object's metadata.</summary>
    /// <returns>Why the downloaded object is not what was shipped; null when it is.</returns>
    public async Task<string?> DownloadAsync(string name, string path, CancellationToken cancellationToken)
    {
        try
        {
            var (received, recorded) = await ReadAsync(name, async body =>
            {
                await using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, BufferBytes, useAsync: true);
                await body.CopyToAsync(file, cancellationToken);
                file.Position = 0;
                return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
            }, cancellationToken);
            return recorded is null ? "it carries no SHA-256 in its metadata (not an upload the sidecar confirmed)"
                : received != recorded ? $"its bytes have SHA-256 {received}, its metadata says {recorded} (checksum mismatch)"
                : null;
        }
        catch (RemoteMismatchException mismatch)
        {
            return mismatch.Message;
        }
    }

    /// <summary>Reads the stored object back and hashes it, without keeping it.</summary>
    public Task<(string Received, string? Recorded)> ReadBackAsync(string name, CancellationToken cancellationToken) =>
        ReadAsync(name, async body => Convert.ToHexStringLower(await SHA256.HashDataAsync(body, cancellationToken)), cancellationToken);

    /// <summary>Every object directly in this pod's folder, in no particular order.</summary>
    public async Task<IReadOnlyList<RemoteObject>> ListAsync(CancellationToken cancellationToken) =>
        await _client.Paginators.ListObjectsV2(new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = Location.PodPrefix }).S3Objects
            .Where(item => Location.NameOf(item.Key) is not null)
            .Select(item => new RemoteObject(item.Key, Location.NameOf(item.Key)!, item.Size ?? 0))
            .ToListAsync(cancellationToken);

    public async Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        await _client.DeleteObjectAsync(Location.Bucket, Location.KeyFor(name), cancellationToken);

    /// <summary>Both digests of <paramref name="content"/>, which is left at its start.</summary>
    public static FileDigests DigestsOf(Stream content)
    {
        content.Position = 0;
        var sha256 = SHA256.HashData(content);
        content.Position = 0;
        // Content-MD5 and the ETag are S3's own check, not ours: SHA-256 is what restore trusts.
        var md5 = CryptographicOperations.HashData(HashAlgorithmName.MD5, content);
        content.Position = 0;
        return new FileDigests(Convert.ToHexStringLower(sha256), Convert.ToHexStringLower(md5), Convert.ToBase64String(md5));
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Static keys as the Secret puts them in the environment (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, and
    /// <c>AWS_SESSION_TOKEN</c> when temporary); null leaves the SDK's default chain (web identity, Pod Identity, a profile).
    /// </summary>
    private static AWSCredentials? Credentials(IConfiguration configuration) =>
        (configuration["AWS_ACCESS_KEY_ID"], configuration["AWS_SECRET_ACCESS_KEY"], configuration["AWS_SESSION_TOKEN"]) switch
        {
            ({ Length: > 0 } key, { Length: > 0 } secret, { Length: > 0 } token) => new SessionAWSCredentials(key, secret, token),
            ({ Length: > 0 } key, { Length: > 0 } secret, _) => new BasicAWSCredentials(key, secret),
            _ => null,
        };

    /// <exception cref="RemoteMismatchException">What arrived differs from the store's own MD5 of the object (its ETag).</exception>
    private async Task<(string Received, string? Recorded)> ReadAsync(string name, Func<Stream, Task<string>> hash, CancellationToken cancellationToken)
    {
        using var response = await _client.GetObjectAsync(Location.Bucket, Location.KeyFor(name), cancellationToken);
        await using var body = response.ResponseStream;
        try
        {
            return (await hash(body), response.Metadata[ChecksumKey] is { Length: > 0 } recorded ? recorded : null);
        }
        catch (AmazonClientException)
        {
            // The SDK reads the body through a stream that compares its MD5 with the ETag at the end;
            // a network failure surfaces as an IOException, so a client exception here is that check.
            throw new RemoteMismatchException(
                $"{Location}{name} does not match the store's own checksum of it (ETag): damaged in the store or on the way");
        }
    }

    [LoggerMessage(LogLevel.Warning, "Asking the store again (attempt {Attempt}) in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string reason);
}
