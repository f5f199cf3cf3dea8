using Dapper;
using MoscowTime.Storage;

namespace MoscowTime.Testing;

/// <summary>What can happen to a database file behind the app's back.</summary>
public enum Damage
{
    /// <summary><c>rm visits.db</c>.</summary>
    Deleted,

    /// <summary>Cut to a length of zero, as <c>: &gt; visits.db</c> or a failed copy leaves it.</summary>
    Emptied,

    /// <summary>Cut short: its last pages are gone.</summary>
    Truncated,

    /// <summary>Garbage over every page after the first: the header still looks fine.</summary>
    Garbage,

    /// <summary>Garbage over the header: not recognisably SQLite any more.</summary>
    Header,
}

/// <summary>The one way tests damage a database: the same faults for the web app, the sidecar and restore.</summary>
public static class DatabaseDamage
{
    private const int PageSize = 4096;

    /// <summary>
    /// Damages <paramref name="path"/>, after moving every committed page from the WAL into the file,
    /// so that the damage hits data and not pages the WAL would still supply.
    /// </summary>
    public static void Inflict(string path, Damage damage)
    {
        Checkpoint(path);
        switch (damage)
        {
            case Damage.Deleted:
                File.Delete(path);
                break;
            case Damage.Emptied:
                Resize(path, _ => 0);
                break;
            case Damage.Truncated:
                Resize(path, length => Math.Max(PageSize, length / 2 / PageSize * PageSize));
                break;
            case Damage.Garbage:
                Overwrite(path, PageSize, (int)new FileInfo(path).Length - PageSize);
                break;
            case Damage.Header:
                Overwrite(path, 0, 100);
                break;
        }
    }

    /// <summary>A file named as the sidecar names backups, newer than any real one, that is not a database.</summary>
    public static string PlantBrokenBackup(string backups)
    {
        var path = Path.Combine(backups, "visits-29991231T235959.999Z.db");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0x5A, 4 * PageSize).ToArray());
        return path;
    }

    private static void Checkpoint(string path)
    {
        if (!File.Exists(path + "-wal"))
        {
            return; // nothing to move, and opening a backup as the writer would turn it into WAL mode
        }

        using var connection = SqliteDatabase.OpenWriter(path, create: false);
        connection.Execute("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private static void Resize(string path, Func<long, long> newLength)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.SetLength(newLength(file.Length));
        file.Flush(flushToDisk: true);
    }

    private static void Overwrite(string path, int offset, int count)
    {
        if (count <= 0)
        {
            throw new InvalidOperationException($"{path} has nothing past byte {offset} to damage");
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        file.Write(Enumerable.Repeat((byte)0xAB, count).ToArray());
        file.Flush(flushToDisk: true);
    }
}
