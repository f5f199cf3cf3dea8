using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace MoscowTime.Storage;

/// <summary>
/// The one writer of a visits database: a single loop commits everything waiting in one durable
/// transaction (group commit), then completes each caller's task with its visit number.
/// </summary>
public sealed partial class VisitWriter(IOptions<VisitStoreOptions> options, TimeProvider time, StorageMetrics metrics, ILogger<VisitWriter> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly VisitStoreOptions _options = options.Value;

    // Bounded and written with TryWrite only: a full queue refuses the visit at once (503).
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.QueueCapacity) { SingleReader = true });

    private SqliteConnection? _connection;
    private bool _openedOnce;
    private long _total;
    private volatile bool _stopping;
    private volatile WriterHealth _health = new(false, "the database has not been opened yet");
    private Task _loop = Task.CompletedTask;

    public string DatabasePath => _options.DatabasePath;

    /// <summary>Visits committed so far (the count a new visit would follow).</summary>
    public long CommittedTotal => Volatile.Read(ref _total);

    public WriterHealth Health => _health;

    /// <summary>Records one visit; completes with its number once it is committed to disk.</summary>
    /// <exception cref="VisitNotRecordedException">The visit was not stored and must not be acknowledged.</exception>
    public Task<long> RecordVisitAsync() => Enqueue(time.GetUtcNow());

    /// <summary>Commits a write that changes no visit, proving the database takes commits.</summary>
    public Task<long> CheckWritableAsync() => Enqueue(null);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A damaged or unreachable file must not stop the process: readiness reports it, the next commit retries.
        TryOpen();
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken);
        CloseConnection();
        LogDrained(logger, CommittedTotal);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        CloseConnection();
    }

    private Task<long> Enqueue(DateTimeOffset? visitAt)
    {
        // Asynchronous continuations: the writer's thread goes straight back to the next commit.
        var pending = new Pending(visitAt, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_queue.Writer.TryWrite(pending))
        {
            return pending.Done.Task;
        }

        if (visitAt is not null)
        {
            metrics.Rejected.Add(1);
        }

        return Task.FromException<long>(new VisitNotRecordedException(
            _stopping ? "the app is shutting down" : $"{_options.QueueCapacity} visits are already waiting for a commit"));
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>();
        var reader = _queue.Reader;
        // Ends only when the queue is completed and empty: everything accepted gets an answer.
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            Commit(batch);
            batch.Clear();
        }
    }

    private void Commit(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var visits = 0;
        try
        {
            // _openedOnce, not an open connection: after a failure the reason must stay "deleted".
            if (!File.Exists(_options.DatabasePath) && _openedOnce)
            {
                throw new VisitNotRecordedException(
                    $"the database file {_options.DatabasePath} was deleted while the app was running");
            }

            var connection = Open();
            var hours = batch.Where(pending => pending.VisitAt is not null)
                .CountBy(pending => VisitQueries.HourOf(pending.VisitAt!.Value)).ToList();
            visits = hours.Sum(hour => hour.Value);

            // One transaction for the whole batch: one fsync for every visit in it.
            var transaction = connection.BeginTransaction();
            try
            {
                foreach (var (hour, count) in hours)
                {
                    VisitQueries.AddToHour(connection, transaction, hour, count);
                }

                // The rest of the batch are write checks.
                if (visits < batch.Count)
                {
                    VisitQueries.MarkWritable(connection, transaction, time.GetUtcNow());
                }

                transaction.Commit();
            }
            finally
            {
                DisposeQuietly(transaction);
            }
        }
        catch (Exception ex)
        {
            Fail(batch, visits, ex);
            return;
        }

        metrics.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        metrics.BatchSize.Record(batch.Count);
        metrics.Recorded.Add(visits);
        MarkWritable();

        var number = _total;
        Volatile.Write(ref _total, number + visits);
        foreach (var pending in batch)
        {
            // A write check gets the total, a visit its own number.
            pending.Done.TrySetResult(pending.VisitAt is null ? number + visits : ++number);
        }
    }

    private void Fail(List<Pending> batch, int visits, Exception ex)
    {
        var reason = Describe(ex);
        if (_health.Writable || _health.Reason != reason)
        {
            LogCommitFailed(logger, ex, _options.DatabasePath, reason);
        }

        _health = new WriterHealth(false, reason);
        metrics.Rejected.Add(visits);
        var error = ex as VisitNotRecordedException ?? new VisitNotRecordedException(reason, ex);
        foreach (var pending in batch)
        {
            pending.Done.TrySetException(error);
        }

        // Reopen on the next commit: a replaced or restored file is picked up, its total read afresh.
        CloseConnection();
    }

    private void TryOpen()
    {
        try
        {
            Open();
            MarkWritable();
        }
        catch (Exception ex)
        {
            var reason = Describe(ex);
            _health = new WriterHealth(false, reason);
            LogOpenFailed(logger, ex, _options.DatabasePath, reason);
        }
    }

    private SqliteConnection Open()
    {
        if (_connection is not null)
        {
            return _connection;
        }

        var connection = SqliteDatabase.OpenWriter(_options.DatabasePath, create: !_openedOnce);
        try
        {
            if (_openedOnce && Schema.ReadVersion(connection) == 0)
            {
                // SQLite opens a 0-byte file as a new database: migrating it would restart the count at zero.
                throw new VisitNotRecordedException(
                    $"the database file {_options.DatabasePath} was emptied while the app was running: it holds no visits");
            }

            var from = Schema.Migrate(connection);
            var total = VisitQueries.Total(connection);
            Volatile.Write(ref _total, total);
            _openedOnce = true;
            _connection = connection;
            LogOpened(logger, _options.DatabasePath, Schema.CurrentVersion, from, total);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void MarkWritable()
    {
        if (!_health.Writable)
        {
            _health = new WriterHealth(true, "the database takes commits");
            LogWritable(logger, _options.DatabasePath);
        }
    }

    private void CloseConnection()
    {
        var connection = _connection;
        _connection = null;
        try
        {
            connection?.Dispose();
        }
        catch (SqliteException ex)
        {
            LogCloseFailed(logger, ex, _options.DatabasePath);
        }
    }

    /// <summary>Rolls back a batch that did not commit; SQLite may have rolled it back already (disk full, I/O error).</summary>
    private static void DisposeQuietly(SqliteTransaction transaction)
    {
        try
        {
            transaction.Dispose();
        }
        catch (SqliteException)
        {
            // Nothing left to undo; the commit's own error is the one reported.
        }
    }

    /// <summary>One line an operator can act on, naming the file and SQLite's own words.</summary>
    private string Describe(Exception ex) => ex switch
    {
        VisitNotRecordedException => ex.Message,
        SqliteException { SqliteErrorCode: raw.SQLITE_FULL } => $"the disk holding {_options.DatabasePath} is full (SQLITE_FULL)",
        SqliteException { SqliteErrorCode: raw.SQLITE_READONLY } => $"{_options.DatabasePath} is read-only (SQLITE_READONLY)",
        SqliteException { SqliteErrorCode: raw.SQLITE_CANTOPEN } => $"cannot open {_options.DatabasePath} (SQLITE_CANTOPEN): missing file or unwritable directory",
        SqliteException { SqliteErrorCode: raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB } damaged => $"{_options.DatabasePath} is damaged or not a database ({damaged.Message.Replace("SQLite Error ", "SQLite error ", StringComparison.Ordinal)})",
        SqliteException sqlite => $"SQLite error {sqlite.SqliteExtendedErrorCode} on {_options.DatabasePath}: {sqlite.Message}",
        _ => $"{ex.GetType().Name} on {_options.DatabasePath}: {ex.Message}",
    };

    private readonly record struct Pending(DateTimeOffset? VisitAt, TaskCompletionSource<long> Done);

    [LoggerMessage(LogLevel.Information, "Opened {Path}: schema version {Version} (was {FromVersion}), {Total} visits so far")]
    private static partial void LogOpened(ILogger logger, string path, int version, int fromVersion, long total);

    [LoggerMessage(LogLevel.Information, "{Path} takes commits")]
    private static partial void LogWritable(ILogger logger, string path);

    [LoggerMessage(LogLevel.Error, "Cannot open the visits database {Path}: {Reason}. Readiness reports 503 until it can be opened")]
    private static partial void LogOpenFailed(ILogger logger, Exception exception, string path, string reason);

    [LoggerMessage(LogLevel.Error, "Visits not recorded, commit to {Path} failed: {Reason}. Visitors get 503 and readiness fails until a commit succeeds")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, string path, string reason);

    [LoggerMessage(LogLevel.Warning, "Closing {Path} failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(LogLevel.Information, "Visit queue drained: {Total} visits committed")]
    private static partial void LogDrained(ILogger logger, long total);
}
