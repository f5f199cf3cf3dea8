// One chain as the sidecar ships and compacts it, made at simulated time (bench/compact.sh): a real SQLite database with
// the web app's schema and statement, RATE visits a second each committed on its own, for HOURS hours ending at the last
// whole hour. Each simulated second's commits are read from the WAL as the shipper reads them (WriteAheadLog.ReadCommitted,
// the checkpoint at 256 shipped frames, the WAL's restarts) into a segment body timed at that second; consecutive
// bodies of an hour are merged as SegmentCompactor merges them (ShippedSegment.AppendBody, up to MergedBytes) and sent
// with the product's client, SHA-256 and Content-MD5, after the chain's snapshot. What the store then holds is what
// compaction leaves of that day: per-second segments never go up, which is where the time saved comes from.
// Usage: MoscowTime.Bench.Compact <store endpoint> <database path> <hours> <visits per second>
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;

var (endpoint, database, hours, rate) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
var now = DateTimeOffset.UtcNow;
var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero).AddHours(-hours);
var configuration = new ConfigurationBuilder().AddInMemoryCollection(
    new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = "S3RVER", ["AWS_SECRET_ACCESS_KEY"] = "bench" }).Build();
using var store = new ObjectStore(Options.Create(new RemoteOptions { Url = "s3://backups/bench", Endpoint = endpoint, PodName = "moscow-time-0" }),
    configuration, TimeProvider.System, NullLogger<ObjectStore>.Instance);
var (objects, bytes) = (0, 0L);

async Task PutAsync(string name, Stream content)
{
    await store.PutAsync(name, content, ObjectStore.DigestsOf(content), CancellationToken.None);
    (objects, bytes) = (objects + 1, bytes + content.Length);
}

using var writer = SqliteDatabase.OpenWriter(database, create: true);
Schema.Migrate(writer);
var snapshot = database + ".snapshot";
using (var live = new LiveDatabase(database))
{
    var (copy, _) = live.BeginSnapshot()!.Value;
    using (copy)
    {
        copy.CopyTo(snapshot, CancellationToken.None);
    }
}

var position = ((WalRead.Committed)WriteAheadLog.ReadCommitted(database, null)).Next!.Value with { Frames = 0 };
var folder = RemoteChain.FolderFor(start);
await using (var file = File.OpenRead(snapshot))
{
    await PutAsync(RemoteChain.SnapshotFor(start, position), file);
}

long frames = 0;
var run = new List<(ShippedSegment Segment, long Size)>();
var (times, merged) = (new List<DateTimeOffset>(), new MemoryStream());

async Task FlushAsync()
{
    var segment = new ShippedSegment(run[0].Segment.From, run[^1].Segment.To, run[^1].Segment.End, run[0].Segment.FirstCommit, run[^1].Segment.LastCommit);
    using var content = new MemoryStream();
    ShippedSegment.WriteTimes(content, times);
    merged.WriteTo(content);
    await PutAsync($"{folder}/{segment.Name}", content);
    (times, merged) = ([], new MemoryStream());
    run.Clear();
}

for (var second = 0; second < hours * 3600; second++)
{
    var at = start.AddSeconds(second);
    for (var visit = 0; visit < rate; visit++)
    {
        using var transaction = writer.BeginTransaction();
        using var command = writer.CreateCommand();
        (command.Transaction, command.CommandText) = (transaction, VisitQueries.AddToHourSql);
        command.Parameters.AddWithValue("@hour", VisitQueries.HourOf(at));
        command.Parameters.AddWithValue("@visits", 1);
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    var read = (WalRead.Committed)WriteAheadLog.ReadCommitted(database, position);
    if (read is { Length: 0, Following: { } following })
    {
        // The sidecar's checkpoint let the WAL restart: the chain goes on from the new generation's frame 0.
        position = following;
        read = (WalRead.Committed)WriteAheadLog.ReadCommitted(database, position);
    }

    var count = read.Length / (WriteAheadLog.FrameHeaderBytes + read.PageSize);
    var part = new ShippedSegment(frames, frames + count, read.Next!.Value, at, at);
    using var body = new MemoryStream();
    ShippedSegment.WriteBody(body, database, read, [.. Enumerable.Repeat(at, read.Commits.Count)]);
    if (run.Count > 0 && (run[0].Segment.FirstCommit.Hour != at.Hour || run.Sum(r => r.Size) + body.Length > SegmentCompactor.MergedBytes))
    {
        await FlushAsync();
    }

    body.Position = 0;
    ShippedSegment.AppendBody(body, times, merged);
    run.Add((part, body.Length));
    (position, frames) = (read.Next.Value, frames + count);
    if (position.Frames >= WalShipper.CheckpointFrames)
    {
        WalCheckpoint.Passive(database);
    }
}

await FlushAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{objects} {bytes} {VisitQueries.Total(writer)} {start.AddSeconds((hours * 3600) - 1):yyyy-MM-ddTHH:mm:ssZ} {start.AddSeconds(hours * 1800):yyyy-MM-ddTHH:mm:ssZ}"));
