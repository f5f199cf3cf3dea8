using MoscowTime.Sidecar.Backups;
using Polly;

namespace MoscowTime.Sidecar.Remote;

/// <summary>The shipper's requests to the store: uploads it confirms, deletes, and listings.</summary>
public sealed partial class ShippedObjects(ObjectStore store, BackupCatalog catalog, ShippingState state, ILogger<ShippedObjects> logger)
{
    public async Task<IReadOnlyList<RemoteChain>> ListAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var chains = RemoteChain.From(await pipeline.ExecuteAsync(async token => await store.ListAsync(token), cancellationToken), catalog);
        state.Update(s => s with { FirstRecoverable = chains.Count > 0 ? chains[^1].Start : null });
        return chains;
    }

    /// <summary>Sends <paramref name="content"/> with its SHA-256 and Content-MD5, and confirms that the store holds exactly it.</summary>
    public async Task PutConfirmedAsync(ResiliencePipeline pipeline, string name, Stream content, CancellationToken cancellationToken)
    {
        var digests = ObjectStore.DigestsOf(content);
        // For a single-part PUT without SSE-KMS or SSE-C, AWS S3, MinIO, R2, Ceph RGW and s3rver make the ETag the MD5 of
        // the bytes they stored, so an ETag equal to ours says the store holds them, and halves the bytes moved. Any other
        // ETag proves nothing either way (an SSE-KMS object's is not an MD5): the full read-back decides.
        if (await pipeline.ExecuteAsync(async token => await store.PutAsync(name, content, digests, token), cancellationToken))
        {
            return;
        }

        try
        {
            var (received, stored) = await pipeline.ExecuteAsync(async token => await store.ReadBackAsync(name, token), cancellationToken);
            if (received != digests.Sha256 || stored != digests.Sha256)
            {
                throw new RemoteMismatchException(
                    $"{store.Location}{name} does not read back as sent: SHA-256 {received} stored, {digests.Sha256} sent " +
                    "(the store altered the object, or did not decode the upload); deleted, sent again next pass");
            }
        }
        catch (RemoteMismatchException)
        {
            await TryDeleteAsync(name);
            throw;
        }
    }

    /// <summary>One attempt: restore skips a mismatched object anyway, its bytes do not match its recorded SHA-256.</summary>
    public async Task TryDeleteAsync(string name)
    {
        try
        {
            await store.Once.ExecuteAsync(async token => await store.DeleteAsync(name, token), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogDeleteFailed(logger, name, store.Describe(ex));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not delete the mismatched object {Name}: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string name, string reason);
}
