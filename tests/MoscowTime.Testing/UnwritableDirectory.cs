namespace MoscowTime.Testing;

/// <summary>A directory that refuses new files; see <see cref="WriteProtection"/>.</summary>
public static class UnwritableDirectory
{
    public static IDisposable Make(string directory) => WriteProtection.Apply(directory);

    public static void Restore(string directory) => WriteProtection.Remove(directory);
}
