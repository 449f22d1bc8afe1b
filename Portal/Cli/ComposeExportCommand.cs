using HaPortal.Core.Deploy;

namespace HaPortal.Cli;

/// <summary>
/// <c>export --compose NAME|FILE [-o docker-compose.yml]</c>: the topology as a docker-compose project,
/// built from the same <see cref="DesiredStack"/> as apply (same images, names, labels, ports).
/// </summary>
internal static class ComposeExportCommand
{
    public static async Task<int> RunAsync(string target, FileInfo? output, ConsoleIo io, CancellationToken ct)
    {
        var spec = await DeployCommands.LoadAsync(target, io, ct);
        if (spec is null) return ExitCodes.InvalidInput;
        var unsupported = ComposeExport.Unsupported(spec);
        if (!unsupported.IsEmpty)
        {
            foreach (var problem in unsupported) io.Error.WriteLine(problem);
            return ExitCodes.InvalidInput;
        }

        var file = output ?? new FileInfo(ComposeExport.ComposeFileName);
        if (Directory.Exists(file.FullName))
        {
            io.Error.WriteLine($"-o: {file.FullName} is a directory; name the compose file, e.g. {Path.Combine(file.FullName, ComposeExport.ComposeFileName)}.");
            return ExitCodes.InvalidInput;
        }
        var directory = file.DirectoryName!;
        // Exporting again keeps the passwords that existing data volumes were initialised with.
        var envFile = Path.Combine(directory, ComposeExport.EnvFileName);
        var secrets = ComposeExport.ReadEnv(envFile) ?? StackSecrets.Generate();
        var stack = DesiredStackBuilder.Build(spec, DeployCommands.Settings(), secrets);
        var files = ComposeExport.Build(stack, secrets);
        await ComposeExport.WriteAsync(directory, file.Name, files, ct);
        io.Out.WriteLine($"{spec.Name}: wrote {file.FullName}, {envFile} (secrets, mode 0600) and {files.Length - 2} config file(s) under {Path.Combine(directory, "config")}");
        return ExitCodes.Ok;
    }
}
