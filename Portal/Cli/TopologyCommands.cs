using System.CommandLine;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;
using HaPortal.Hosting;

namespace HaPortal.Cli;

/// <summary>validate, import, export: topology files on the command line.</summary>
public static class TopologyCommands
{
    public static IEnumerable<Command> Create(ConsoleIo io)
    {
        yield return Validate(io);
        yield return Import(io);
        yield return Export(io);
    }

    private static Command Validate(ConsoleIo io)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "Topology file (YAML)" };
        var command = new Command("validate", "Check a topology file and list every problem.") { file };
        command.SetAction(parse =>
        {
            var result = ReadFile(parse.GetValue(file)!, io);
            if (result is null) return ExitCodes.InvalidInput;
            io.Out.WriteLine($"{result.Spec!.Name}: valid ({result.Report.Warnings.Count()} warnings)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Import(ConsoleIo io)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "Topology file (YAML)" };
        var comment = new Option<string>("--comment") { Description = "Comment stored with the revision", DefaultValueFactory = _ => "imported from file" };
        var command = new Command("import", "Validate a topology file and store it as a new revision.") { file, comment };
        command.SetAction(async (parse, ct) =>
        {
            var result = ReadFile(parse.GetValue(file)!, io);
            if (result is null) return ExitCodes.InvalidInput;
            await using var services = await CommandServices.OpenAsync(ct);
            var saved = await services.GetRequiredService<TopologyStore>()
                .SaveAsync(result.Spec!, Actor.CommandLine(), parse.GetValue(comment)!, ct);
            if (!saved.Saved) return ReportProblems(saved.Report, io);
            io.Out.WriteLine($"{result.Spec!.Name}: stored as revision {saved.Revision!.Number}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Export(ConsoleIo io)
    {
        var name = new Argument<string>("NAME") { Description = "Topology name (with --compose: a topology name or file)" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write to this file instead of standard output (with --compose: default docker-compose.yml)" };
        var revision = new Option<int?>("--revision") { Description = "Revision number (default: latest)" };
        var compose = new Option<bool>("--compose") { Description = "Write an equivalent docker-compose project (yml, .env with the secrets, config files) instead" };
        var command = new Command("export", "Write a stored topology as a topology file, or as a docker-compose project.") { name, output, revision, compose };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(compose))
            {
                if (parse.GetValue(revision) is not null)
                {
                    io.Error.WriteLine("--revision: not with --compose (it exports the latest revision or a file).");
                    return ExitCodes.InvalidInput;
                }
                return await ComposeExportCommand.RunAsync(parse.GetValue(name)!, parse.GetValue(output), io, ct);
            }
            await using var services = await CommandServices.OpenAsync(ct);
            var stored = await services.GetRequiredService<TopologyStore>().GetAsync(parse.GetValue(name)!, parse.GetValue(revision), ct);
            if (stored is null)
            {
                io.Error.WriteLine($"name: no topology '{parse.GetValue(name)}'{(parse.GetValue(revision) is { } r ? $" with revision {r}" : "")}.");
                return ExitCodes.InvalidInput;
            }
            var yaml = TopologyYaml.Serialize(stored.Spec);
            if (parse.GetValue(output) is { } target) await File.WriteAllTextAsync(target.FullName, yaml, ct);
            else io.Out.Write(yaml);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Reads and validates a file; on any error prints every problem (path first) and returns null.</summary>
    internal static TopologyParseResult? ReadFile(FileInfo file, ConsoleIo io)
    {
        if (!file.Exists)
        {
            io.Error.WriteLine($"FILE: {file.FullName} does not exist.");
            return null;
        }
        var result = TopologyYaml.Parse(File.ReadAllText(file.FullName));
        foreach (var warning in result.Report.Warnings) io.Error.WriteLine(warning);
        if (result.IsValid) return result;
        ReportProblems(result.Report, io);
        return null;
    }

    internal static int ReportProblems(ValidationReport report, ConsoleIo io)
    {
        foreach (var error in report.Errors) io.Error.WriteLine(error);
        return ExitCodes.InvalidInput;
    }
}
