using System.Threading.Channels;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// The local loop pulses this after every pass; whatever follows the backups (the upload loop in
/// Remote) waits on it, so the backups know nothing of their followers. Pulses while a follower is
/// busy collapse into one, so a slow store never queues work or holds up a local backup.
/// </summary>
public sealed class BackupPassSignal
{
    private readonly Channel<bool> _pulses = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Pulse() => _pulses.Writer.TryWrite(true);

    public async Task WaitAsync(CancellationToken cancellationToken) => await _pulses.Reader.ReadAsync(cancellationToken);
}
