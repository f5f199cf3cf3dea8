using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>A hash of a database's content: schema version, then every row of every table in key order.</summary>
/// <remarks>
/// After a restart, tells a fresh snapshot from the newest backup, which data_version (counted per
/// connection) cannot. It reads copies, never the live database: a read transaction held for the
/// whole hash would let the web app's WAL grow. Generic over tables so that it never goes stale.
/// </remarks>
public static class DatabaseFingerprint
{
    /// <summary>The fingerprint of a file on disk, read through its own short-lived connection.</summary>
    public static string Compute(string path)
    {
        using var connection = SqliteDatabase.OpenReadOnly(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, connection.ExecuteScalar<long>("PRAGMA user_version;"));
        var tables = connection.Query<string>(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;");
        foreach (var table in tables)
        {
            Append(hash, table);
            using var command = connection.CreateCommand();
            // A table name from sqlite_schema, quoted as an identifier; no outside input reaches this SQL.
#pragma warning disable CA2100
            command.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\";";
#pragma warning restore CA2100
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                for (var column = 0; column < reader.FieldCount; column++)
                {
                    Append(hash, reader.IsDBNull(column) ? null : reader.GetValue(column));
                }
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, object? value)
    {
        // Type tag and length first, so that ("ab", "c") and ("a", "bc") do not hash alike.
        var (tag, bytes) = value switch
        {
            null => ((byte)0, Array.Empty<byte>()),
            long number => ((byte)1, BitConverter.GetBytes(number)),
            double real => ((byte)2, BitConverter.GetBytes(real)),
            string text => ((byte)3, Encoding.UTF8.GetBytes(text)),
            byte[] blob => ((byte)4, blob),
            _ => ((byte)5, Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "")),
        };
        hash.AppendData([tag]);
        hash.AppendData(BitConverter.GetBytes(bytes.Length));
        hash.AppendData(bytes);
    }
}
