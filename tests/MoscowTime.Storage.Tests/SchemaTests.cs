using Dapper;
using Microsoft.Data.Sqlite;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Storage.Tests;

public sealed class SchemaTests : IDisposable
{
    private readonly TempDirectory _dir = new("schema");

    [Fact]
    public void Fresh_database_is_created_at_the_current_version()
    {
        var path = _dir.File("visits.db");
        using (var connection = SqliteDatabase.OpenWriter(path, create: true))
        {
            Assert.Equal(0, Schema.Migrate(connection));
        }

        Assert.Equal(Schema.CurrentVersion, Databases.UserVersion(path));
        Assert.Equal(0, Databases.StoredVisits(path));
    }

    [Fact]
    public void Version_1_rows_are_folded_into_hourly_counts_without_losing_a_visit()
    {
        var path = _dir.File("visits.db");
        var start = new DateTimeOffset(2026, 11, 24, 22, 59, 58, TimeSpan.Zero);
        Databases.CreateVersion1(path, Enumerable.Range(0, 5).Select(i => start.AddSeconds(i)));

        using var connection = SqliteDatabase.OpenWriter(path, create: false);
        Assert.Equal(1, Schema.Migrate(connection));

        Assert.Equal(Schema.CurrentVersion, Schema.ReadVersion(connection));
        Assert.Equal(
            [new HourCount("2026-11-24 22:00", 2), new HourCount("2026-11-24 23:00", 3)],
            Databases.StoredHours(path));
        Assert.Equal(0, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'visits'"));
    }

    [Fact]
    public void A_database_from_a_newer_build_is_refused_not_downgraded()
    {
        var path = _dir.File("visits.db");
        using var connection = SqliteDatabase.OpenWriter(path, create: true);
        connection.Execute($"PRAGMA user_version = {Schema.CurrentVersion + 1}");

        var error = Assert.Throws<InvalidOperationException>(() => Schema.Migrate(connection));
        Assert.Contains("newer than this build", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_million_visits_over_a_year_of_hours_fit_well_under_one_MiB()
    {
        var path = _dir.File("visits.db");
        const int hours = 365 * 24;
        const long visits = 10_000_000;
        using (var connection = SqliteDatabase.OpenWriter(path, create: true))
        {
            Schema.Migrate(connection);
            var first = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var transaction = connection.BeginTransaction();
            for (var hour = 0; hour < hours; hour++)
            {
                var share = visits / hours + (hour < visits % hours ? 1 : 0);
                Databases.AddVisits(connection, transaction, first.AddHours(hour), share);
            }

            transaction.Commit();
            connection.Execute("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;");
        }

        Assert.Equal(visits, Databases.StoredVisits(path));
        var size = new FileInfo(path).Length;
        Assert.True(size < 512 * 1024, $"10 million visits over a year take {size} bytes");
    }

    [Fact]
    public void Writer_connection_uses_wal_and_full_sync()
    {
        using var connection = SqliteDatabase.OpenWriter(_dir.File("visits.db"), create: true);
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        Assert.Equal(2, connection.ExecuteScalar<int>("PRAGMA synchronous"));
    }

    [Fact]
    public void Writer_does_not_create_a_missing_file_after_the_first_open()
    {
        var error = Assert.Throws<SqliteException>(() => SqliteDatabase.OpenWriter(_dir.File("gone.db"), create: false));
        Assert.Equal(SQLitePCL.raw.SQLITE_CANTOPEN, error.SqliteErrorCode);
    }

    public void Dispose() => _dir.Dispose();
}
