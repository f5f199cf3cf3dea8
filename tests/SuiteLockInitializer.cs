using System.Reflection;
using System.Runtime.CompilerServices;

namespace MoscowTime.Testing;

/// <summary>Compiled into every test assembly (tests/Directory.Build.props): takes the suite lock before its first test runs.</summary>
internal static class SuiteLockInitializer
{
#pragma warning disable CA2255 // A test assembly is the application here: the lock must be taken before any test class is touched.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Enter()
    {
        var assembly = typeof(SuiteLockInitializer).Assembly;
        var heavy = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Any(attribute => attribute is { Key: "HeavySuite", Value: "true" });
        SuiteLock.Enter(assembly.GetName().Name!, exclusive: heavy);
    }
}
