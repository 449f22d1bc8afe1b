using System.CommandLine;
using HaPortal.Core.Rendering;

namespace HaPortal.Cli;

/// <summary>render: every config file of a topology into a folder, with placeholder secrets.</summary>
public static class RenderCommand
{
    public static Command Create(ConsoleIo io)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "Topology file (YAML)" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the files into (created if missing)", Required = true };
        var command = new Command("render", "Render haproxy.cfg, ProxySQL, my.cnf and keepalived files of a topology.") { file, output };
        command.SetAction(parse =>
        {
            var result = TopologyCommands.ReadFile(parse.GetValue(file)!, io);
            if (result is null) return ExitCodes.InvalidInput;
            // A file render must not invent secrets no database will hold: placeholders, replaced at deploy.
            var files = StackRenderer.RenderAll(result.Spec!, StackSecrets.Placeholders);
            var root = parse.GetValue(output)!.FullName;
            try
            {
                foreach (var rendered in files)
                {
                    var path = Path.Combine(root, rendered.Path.Replace('/', Path.DirectorySeparatorChar));
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllText(path, rendered.Content);
                    io.Out.WriteLine(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                io.Error.WriteLine($"--out: cannot write to {root}: {e.Message}");
                return ExitCodes.Failure;
            }
            io.Error.WriteLine("note: secrets in these files are CHANGE-ME placeholders; a deploy fills in real ones.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
