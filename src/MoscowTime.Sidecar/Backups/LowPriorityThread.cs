using System.Collections.Concurrent;
using MoscowTime.Sidecar.Files;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// One thread of its own, at a lower CPU priority (nice 10), that runs work items in order.
/// </summary>
/// <remarks>
/// A backup's CPU goes mostly into <c>PRAGMA integrity_check</c> (about 50 ms for 10 MiB). Run at
/// normal priority it competes with the web app's requests wherever both share CPUs, and shows up
/// in their p99; here it yields to them. The copy itself does not run here: it holds a read
/// transaction, and the longer that lasts, the longer the web app's WAL grows.
/// A pool thread cannot be used: an unprivileged thread may lower its priority but never raise it
/// again, and the pool would hand the slowed thread to unrelated work.
/// </remarks>
public sealed partial class LowPriorityThread : IDisposable
{
    private const int Nice = 10;

    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _thread;
    private readonly ILogger<LowPriorityThread> _logger;

    public LowPriorityThread(ILogger<LowPriorityThread> logger)
    {
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "backup-verify" };
        _thread.Start();
    }

    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        _queue.Dispose();
    }

    private void Run()
    {
        if (!Posix.TryLowerCurrentThreadPriority(Nice, out var error))
        {
            // Best effort: a seccomp profile may refuse it; the backups are the same, only less polite.
            LogPriorityUnchanged(_logger, Nice, error);
        }

        foreach (var work in _queue.GetConsumingEnumerable())
        {
            work();
        }
    }

    [LoggerMessage(LogLevel.Information, "Verification runs at normal CPU priority: setpriority(nice {Nice}) failed with errno {Error}")]
    private static partial void LogPriorityUnchanged(ILogger logger, int nice, int error);
}
