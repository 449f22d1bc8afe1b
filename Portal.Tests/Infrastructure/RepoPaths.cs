namespace HaPortal.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The repository root: the folder holding HaPortal.sln above the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>shared/ beside the repository (topology examples, ProxySQL admin schema).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string SeedStack => Path.Combine(Shared, "examples", "seed-stack.yaml");

    /// <summary>Build configuration of the running tests, so fixtures start the Portal built alongside them.</summary>
    public static string Configuration => AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";

    public static string PortalDll => Path.Combine(Root, "Portal", "bin", Configuration, "net10.0", "Portal.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HaPortal.sln"))) return dir.FullName;
        throw new InvalidOperationException("HaPortal.sln not found above " + AppContext.BaseDirectory);
    }
}
