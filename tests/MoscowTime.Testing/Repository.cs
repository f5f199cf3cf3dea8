namespace MoscowTime.Testing;

/// <summary>Paths in the checkout the tests run from, and in the shared/ folder CI clones beside it.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Kustomize => System.IO.Path.Combine(Root, "kustomize");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Overlay(string name) => System.IO.Path.Combine(Kustomize, "overlays", name);

    /// <summary>
    /// Copies kustomize/ into <paramref name="directory"/>, so that a test can put a site overlay
    /// beside it: kustomize takes no absolute paths, and a component cannot contain its user.
    /// </summary>
    /// <returns>The copy's kustomize/ folder.</returns>
    public static string CopyKustomizeTo(string directory)
    {
        var copy = System.IO.Path.Combine(directory, "kustomize");
        foreach (var file in Directory.EnumerateFiles(Kustomize, "*", SearchOption.AllDirectories))
        {
            var target = System.IO.Path.Combine(copy, System.IO.Path.GetRelativePath(Kustomize, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    /// <summary>Builds local stand-ins for the mcr.microsoft.com/dotnet images where none can be pulled.</summary>
    public static string BaseImagesScript { get; } =
        System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, "..", "shared", "containers", "make-dotnet-base-images.sh"));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "MoscowTime.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no MoscowTime.sln above {AppContext.BaseDirectory}");
    }
}
