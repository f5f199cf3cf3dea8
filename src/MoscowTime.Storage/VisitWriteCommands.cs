using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>
/// The writer's statements, prepared once per connection. Group commit makes many small
/// transactions under load; re-preparing the same SQL for each one cost more CPU than the commit.
/// </summary>
internal sealed class VisitWriteCommands : IDisposable
{
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollback;
    private readonly SqliteCommand _addToHour;
    private readonly SqliteParameter _hour;
    private readonly SqliteParameter _visits;
    private readonly SqliteCommand _markWritable;
    private readonly SqliteParameter _at;

    public VisitWriteCommands(SqliteConnection connection)
    {
        _begin = Create(connection, "BEGIN IMMEDIATE;");
        _commit = Create(connection, "COMMIT;");
        _rollback = Create(connection, "ROLLBACK;");
        _addToHour = Create(connection, VisitQueries.AddToHourSql);
        _hour = _addToHour.Parameters.Add("@hour", SqliteType.Text);
        _visits = _addToHour.Parameters.Add("@visits", SqliteType.Integer);
        _markWritable = Create(connection, VisitQueries.MarkWritableSql);
        _at = _markWritable.Parameters.Add("@at", SqliteType.Text);
    }

    public void Begin() => _begin.ExecuteNonQuery();

    public void Commit() => _commit.ExecuteNonQuery();

    /// <summary>Undoes a failed batch; SQLite may already have rolled back by itself (disk full, I/O error).</summary>
    public void TryRollback()
    {
        try
        {
            _rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // "no transaction is active": nothing left to undo.
        }
    }

    public void AddToHour(string hour, long visits)
    {
        _hour.Value = hour;
        _visits.Value = visits;
        _addToHour.ExecuteNonQuery();
    }

    public void MarkWritable(DateTimeOffset at)
    {
        _at.Value = VisitQueries.Timestamp(at);
        _markWritable.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _begin.Dispose();
        _commit.Dispose();
        _rollback.Dispose();
        _addToHour.Dispose();
        _markWritable.Dispose();
    }

    private static SqliteCommand Create(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
