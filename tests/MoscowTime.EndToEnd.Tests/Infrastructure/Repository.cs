namespace MoscowTime.EndToEnd.Tests.Infrastructure;

/// <summary>Paths in this checkout, and in the shared/ folder that CI clones beside it.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Overlay(string name) => Path.Combine(Root, "kustomize", "overlays", name);

    /// <summary>Builds local stand-ins for the mcr.microsoft.com/dotnet images, which cannot be pulled here.</summary>
    public static string BaseImagesScript { get; } =
        Path.GetFullPath(Path.Combine(Root, "..", "shared", "containers", "make-dotnet-base-images.sh"));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MoscowTime.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No MoscowTime.sln above {AppContext.BaseDirectory}");
    }
}
