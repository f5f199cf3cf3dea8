using System.Threading.Channels;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// The local loop pulses this after every pass; the upload loop waits on it. Pulses while an
/// upload runs collapse into one, so a slow store never queues work or holds up a local backup.
/// </summary>
public sealed class UploadTrigger
{
    private readonly Channel<bool> _pulses = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Pulse() => _pulses.Writer.TryWrite(true);

    public async Task WaitAsync(CancellationToken cancellationToken) => await _pulses.Reader.ReadAsync(cancellationToken);
}
