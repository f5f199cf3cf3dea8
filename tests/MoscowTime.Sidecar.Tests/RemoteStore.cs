using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>A real s3rver for one test, and the settings that point the sidecar and restore at it.</summary>
internal sealed class RemoteStore : IAsyncDisposable
{
    public const string Pod = "moscow-time-0";
    public const string Prefix = "site";
    public const string Secret = "test-secret-value-that-must-never-be-logged";

    private RemoteStore(S3Server server) => Server = server;

    public S3Server Server { get; }

    /// <summary>This pod's folder in the bucket.</summary>
    public static string PodFolder => $"{Prefix}/{Pod}/";

    public static async Task<RemoteStore> StartAsync(TempDirectory dir) => new(await S3Server.StartAsync(dir.File("s3")));

    /// <summary>
    /// Settings for the sidecar or restore, credentials included as the environment would give them;
    /// retries every 10 ms so that a fake clock needs little pushing.
    /// </summary>
    public string[] Args(string? endpoint = null, string bucket = S3Server.Bucket, string? pod = Pod, string accessKey = S3Server.AccessKey) =>
    [
        $"--AWS_ACCESS_KEY_ID={accessKey}",
        $"--AWS_SECRET_ACCESS_KEY={Secret}",
        $"--Backup:Remote:Url=s3://{bucket}/{Prefix}",
        $"--Backup:Remote:Endpoint={endpoint ?? Server.Endpoint}",
        $"--Backup:Remote:PodName={pod}",
        "--Backup:Remote:RetryDelay=00:00:00.010",
        "--Backup:Remote:AttemptTimeout=00:00:10",
    ];

    /// <summary>The product's own client, to put objects as the sidecar would (or would not).</summary>
    public ObjectStore Client(string pod = Pod) => new(Options.Create(new RemoteOptions
    {
        Url = $"s3://{S3Server.Bucket}/{Prefix}",
        Endpoint = Server.Endpoint,
        PodName = pod,
        AttemptTimeout = TimeSpan.FromSeconds(10),
    }), new ConfigurationBuilder().AddCommandLine(Args()).Build(), TimeProvider.System, NullLogger<ObjectStore>.Instance);

    /// <summary>Uploads a file as a confirmed backup of <paramref name="pod"/>: SHA-256 in its metadata.</summary>
    public async Task PutBackupAsync(string file, string? name = null, string pod = Pod)
    {
        using var client = Client(pod);
        await PutFileAsync(client, name ?? Path.GetFileName(file), file, confirmed: true);
    }

    /// <summary>One plain PUT of a file, as the uploader sends it; unconfirmed: no SHA-256 in its metadata.</summary>
    public static async Task PutFileAsync(ObjectStore client, string name, string file, bool confirmed)
    {
        await using var content = File.OpenRead(file);
        var digests = ObjectStore.DigestsOf(content);
        await client.PutAsync(name, content, confirmed ? digests : digests with { Sha256 = "" }, CancellationToken.None);
    }

    public IReadOnlyList<string> Keys(string folder = "") => Server.Keys(folder.Length == 0 ? PodFolder : folder);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>The sidecar's remote side as a test sees it.</summary>
internal static class RemoteSidecar
{
    private static readonly TimeSpan PassTimeout = TimeSpan.FromSeconds(30);

    public static ShippingStatus Shipping(this SidecarHost host) => host.App.Services.GetRequiredService<ShippingState>().Status;

    public static RemoteOptions RemoteOptions(this SidecarHost host) => host.App.Services.GetRequiredService<IOptions<RemoteOptions>>().Value;

    /// <summary>
    /// Waits until shipping reaches <paramref name="done"/>, moving a fake clock on in small steps
    /// meanwhile: the shipper's interval and its retries wait on that clock.
    /// </summary>
    public static Task<ShippingStatus> UntilShippedAsync(this SidecarHost host, Func<ShippingStatus, bool> done, string what) =>
        Poll.UntilAsync(() =>
        {
            var status = host.Shipping();
            if (!done(status) && host.Time is FakeTimeProvider time)
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
            }

            return status;
        }, done, PassTimeout, what);

}

/// <summary>What the store holds for the pod, read as a restore would: chains, and the newest one applied.</summary>
internal static class StoredChains
{
    private static readonly BackupCatalog Catalog = new("/unused", "visits.db");

    public static IReadOnlyList<RemoteChain> Chains(this RemoteStore store) =>
        RemoteChain.From(store.Keys().Select(key => new RemoteObject(key, key[RemoteStore.PodFolder.Length..], 0)), Catalog);

    /// <summary>The newest chain's snapshot with every segment applied in order, written to <paramref name="copy"/>: its visits.</summary>
    public static long RestoreNewest(this RemoteStore store, string copy)
    {
        var chain = store.Chains().First(c => c.Snapshot is not null);
        File.Copy(store.Server.ObjectFile(chain.Snapshot!.Key), copy, overwrite: true);
        foreach (var segment in chain.Continuous())
        {
            using var body = File.OpenRead(store.Server.ObjectFile(segment.Stored.Key));
            ShippedSegment.ApplyBody(copy, body, DateTimeOffset.MaxValue);
        }

        Assert.Equal("ok", Databases.IntegrityCheck(copy));
        return Databases.StoredVisits(copy);
    }
}
