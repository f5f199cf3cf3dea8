namespace MoscowTime.Manifests.Tests.Rendering;

/// <summary>Paths in the checkout the tests run from.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Kustomize => System.IO.Path.Combine(Root, "kustomize");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

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
