namespace HaPortal.Tests.Infrastructure;

/// <summary>
/// A test's dependency on something outside the code (a binary, a running engine). On a laptop a missing
/// prerequisite skips the test with the reason; with CI set it fails, because in CI nothing may be silently skipped.
/// </summary>
public static class Prerequisite
{
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Skips (locally) or fails (CI) the current test unless <paramref name="present"/> holds.</summary>
    public static void Require(bool present, string what)
    {
        if (present) return;
        var reason = $"{what} is not available";
        if (InCi) Assert.Fail($"{reason}; CI must install it (see .ci/run and scripts/test.sh).");
        Assert.Skip(reason);
    }

    /// <summary>Requires an executable, searched on PATH or given as an absolute path; returns its full path.</summary>
    public static string RequireExecutable(string name)
    {
        var path = FindExecutable(name);
        Require(path is not null, $"the program '{name}'");
        return path!;
    }

    public static string? FindExecutable(string name)
    {
        if (Path.IsPathRooted(name)) return File.Exists(name) ? name : null;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }
}
