using HaPortal.Core.Rendering;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Rendering;

/// <summary>
/// Compares rendered text with Portal.Tests/Rendering/Snapshots/&lt;name&gt;.txt in the source tree (read from there,
/// not from the output folder, so updating one needs no copy step). A missing snapshot, or UPDATE_SNAPSHOTS=1,
/// writes the file and fails the test: a new snapshot is only good once someone has read it.
/// </summary>
public static class Snapshot
{
    public static string Folder => Path.Combine(RepoPaths.Root, "Portal.Tests", "Rendering", "Snapshots");

    public static void Match(string name, IEnumerable<RenderedFile> files) =>
        Match(name, string.Concat(files.Select(f => $"===== {f.Path} =====\n{f.Content}\n")));

    public static void Match(string name, string actual)
    {
        var path = Path.Combine(Folder, name + ".txt");
        actual = actual.ReplaceLineEndings("\n");
        var update = Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1";
        if (update || !File.Exists(path))
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(path, actual);
            Assert.Fail($"Snapshot {path} was {(update ? "rewritten (UPDATE_SNAPSHOTS=1)" : "missing and has been written")}; "
                        + "review it by eye, commit it, and run the tests again without UPDATE_SNAPSHOTS.");
        }
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected == actual) return;
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var line = Enumerable.Range(0, Math.Max(expectedLines.Length, actualLines.Length))
            .First(i => i >= expectedLines.Length || i >= actualLines.Length || expectedLines[i] != actualLines[i]);
        Assert.Fail($"Rendered text differs from snapshot {path} at line {line + 1}:\n"
                    + $"  expected: {(line < expectedLines.Length ? expectedLines[line] : "<end of file>")}\n"
                    + $"  actual:   {(line < actualLines.Length ? actualLines[line] : "<end of file>")}\n"
                    + "If the change is intended, run with UPDATE_SNAPSHOTS=1 and review the diff.");
    }
}
