using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using Polly;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Continuous shipping: a pass of <see cref="ChainWriter"/> every Backup:Remote:SyncInterval, on its own task, so a
/// store that is slow or down never holds up a local backup; the commits found meanwhile wait and go up together.
/// </summary>
/// <remarks>
/// Registered before the local backup worker, so the host stops it after that worker's final pass, which waits for the
/// web app's last commits: the stop then ships what is left, one attempt per request, within the grace period.
/// </remarks>
public sealed partial class WalShipper : BackgroundService
{
    private readonly ChainWriter _writer;
    private readonly ShippingState _state;
    private readonly RemoteOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WalShipper> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _once;
    private string? _reportedError;

    public WalShipper(ChainWriter writer, ShippingState state, IOptions<RemoteOptions> options, TimeProvider time, ILogger<WalShipper> logger)
    {
        (_writer, _state, _options, _time, _logger) = (writer, state, options.Value, time, logger);
        _pipeline = Retries.Create(_options.AttemptTimeout, _options.RetryDelay, RemoteFailure.IsTransient, time, arguments =>
            LogRetrying(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, Describe(arguments.Outcome.Exception)));
        _once = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(_options.AttemptTimeout).Build();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_logger, _state.Location, _options.Endpoint ?? "AWS S3", _options.SyncInterval, _options.Window);
        if (!string.IsNullOrWhiteSpace(_options.Retain))
        {
            LogRetainIgnored(_logger, _options.Retain);
        }

        using var timer = new PeriodicTimer(_options.SyncInterval, _time);
        try
        {
            do
            {
                // Blocking file reads and a snapshot's copy: a pool thread of its own, not a fake clock's Advance.
                await Task.Run(() => PassAsync(_pipeline, stoppingToken), CancellationToken.None);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the final pass follows in StopAsync.
        }
    }

    /// <param name="cancellationToken">Fires when the host's shutdown timeout has run out.</param>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await PassAsync(_once, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogNoFinalPass(_logger);
        }
    }

    public override void Dispose()
    {
        _writer.Dispose();
        base.Dispose();
    }

    private async Task PassAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.ShipAsync(pipeline, cancellationToken);
            if (_reportedError is not null && _state.Status.LastError is null)
            {
                LogRecovered(_logger, _state.Location);
                _reportedError = null;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var reason = Describe(ex);
            _state.Update(s => s with { LastError = reason, LastErrorAt = _time.GetUtcNow(), Failures = s.Failures + 1 });
            if (reason != _reportedError)
            {
                LogFailed(_logger, reason);
                _reportedError = reason;
            }
        }
    }

    private string Describe(Exception? exception) => RemoteFailure.Describe(exception, _options, RemoteLocation.From(_options));

    [LoggerMessage(LogLevel.Information, "Shipping every commit to {Location} ({Endpoint}) within {SyncInterval}, restorable for {Window}")]
    private static partial void LogStarted(ILogger logger, string location, string endpoint, TimeSpan syncInterval, TimeSpan window);

    [LoggerMessage(LogLevel.Warning, "Backup:Remote:Retain ({Retain}) is ignored; Backup:Remote:Window replaces it")]
    private static partial void LogRetainIgnored(ILogger logger, string retain);

    [LoggerMessage(LogLevel.Warning, "Shipping attempt {Attempt} follows in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string reason);

    [LoggerMessage(LogLevel.Error, "Shipping failed: {Reason}. Commits wait and go up with the next pass")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Shipping to {Location} works again")]
    private static partial void LogRecovered(ILogger logger, string location);

    [LoggerMessage(LogLevel.Warning, "Stopping without the final shipment: the shutdown timeout ran out; the next start ships it")]
    private static partial void LogNoFinalPass(ILogger logger);
}
