using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace MoscowTime.Architecture.Tests;

/// <summary>
/// One data layer: every SQL statement and PRAGMA lives in MoscowTime.Storage. Read from the built
/// assemblies, so comments may name statements freely: only string literals the code uses count,
/// and so do calls that run SQL (a command, Dapper, SQLite's C API).
/// </summary>
public sealed partial class SqlPlacementTests
{
    private const string Storage = "MoscowTime.Storage";

    /// <summary>The types through which code runs SQL; a reference to any of them is SQL use.</summary>
    private static readonly HashSet<string> SqlRunners = new(StringComparer.Ordinal)
    {
        "Microsoft.Data.Sqlite.SqliteCommand",
        "Dapper.SqlMapper",
        // What Dapper.AOT's build-time interceptors call in place of SqlMapper.
        "Dapper.DapperAotExtensions",
        "SQLitePCL.raw",
    };

    /// <summary>Every product assembly beside the tests, found by name so that a new project is covered too.</summary>
    public static TheoryData<string> ProductAssemblies()
    {
        var data = new TheoryData<string>();
        foreach (var path in ProductAssemblyPaths().Where(path => Path.GetFileNameWithoutExtension(path) != Storage))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Fact]
    public void The_product_assemblies_are_found()
    {
        var names = ProductAssemblyPaths().Select(Path.GetFileNameWithoutExtension).ToList();

        Assert.Contains("MoscowTime.Web", names);
        Assert.Contains("MoscowTime.Sidecar", names);
        Assert.Contains(Storage, names);
    }

    [Theory]
    [MemberData(nameof(ProductAssemblies))]
    public void No_assembly_but_Storage_holds_or_runs_SQL(string assembly)
    {
        var found = SqlUse(Path.Combine(AppContext.BaseDirectory, assembly));

        Assert.True(found.Count == 0, $"{assembly} holds or runs SQL, which belongs in {Storage}:\n{string.Join("\n", found)}");
    }

    [Fact]
    public void Storage_is_where_the_SQL_is_found()
    {
        var found = SqlUse(Path.Combine(AppContext.BaseDirectory, $"{Storage}.dll"));

        Assert.Contains(found, use => use.StartsWith("statement: ", StringComparison.Ordinal) && use.Contains("PRAGMA", StringComparison.Ordinal));
        Assert.Contains(found, use => use.StartsWith("statement: ", StringComparison.Ordinal) && use.Contains("SELECT", StringComparison.Ordinal));
        Assert.Contains(found, use => use == "call: Dapper.DapperAotExtensions");
        Assert.Contains(found, use => use == "call: SQLitePCL.raw");
    }

    private static IEnumerable<string> ProductAssemblyPaths() =>
        Directory.GetFiles(AppContext.BaseDirectory, "MoscowTime.*.dll")
            .Where(path => Path.GetFileNameWithoutExtension(path) is var name && !name.EndsWith(".Tests", StringComparison.Ordinal)
                && name != "MoscowTime.Testing");

    /// <returns>Each SQL literal ("statement: …") and each type that runs SQL ("call: …") the assembly uses.</returns>
    private static List<string> SqlUse(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        var found = new List<string>();
        for (var handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = metadata.GetNextHandle(handle))
        {
            var literal = metadata.GetUserString(handle);
            if (SqlStatement().IsMatch(literal))
            {
                found.Add($"statement: {literal.ReplaceLineEndings(" ")}");
            }
        }

        foreach (var runner in metadata.MemberReferences
            .Select(handle => metadata.GetMemberReference(handle).Parent)
            .Where(parent => parent.Kind == HandleKind.TypeReference)
            .Select(parent => metadata.GetTypeReference((TypeReferenceHandle)parent))
            .Select(type => $"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}")
            .Where(SqlRunners.Contains)
            .Distinct(StringComparer.Ordinal))
        {
            found.Add($"call: {runner}");
        }

        return found;
    }

    /// <summary>What a statement starts with, as this code base writes SQL (upper-case keywords).</summary>
    [GeneratedRegex(@"\bPRAGMA\s+\w|\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
        + @"\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bBEGIN\s+(DEFERRED|IMMEDIATE|EXCLUSIVE|TRANSACTION)\b|\bVACUUM\b")]
    private static partial Regex SqlStatement();
}
