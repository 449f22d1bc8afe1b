using System.CommandLine;
using HaPortal.Hosting;
using HaPortal.WebNode;

namespace HaPortal.Cli;

/// <summary>
/// Entry point: with no command the process serves (admin portal, or a web node with --role web-node);
/// otherwise it runs one command and exits 0 (done), 2 (invalid input, every problem on stderr) or 1 (failure).
/// </summary>
public static class PortalCommandLine
{
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("--help" or "-h" or "--version"))
            return await ServeAsync(args);

        var io = new ConsoleIo(stdout ?? Console.Out, stderr ?? Console.Error);
        var root = new RootCommand("HaPortal: run a highly available web stack. With no command, serves the portal.");
        foreach (var command in TopologyCommands.Create(io)) root.Subcommands.Add(command);
        root.Subcommands.Add(RenderCommand.Create(io));
        root.Subcommands.Add(BackendCommands.Create(io));
        foreach (var command in ProxySqlCommands.Create(io)) root.Subcommands.Add(command);
        foreach (var command in ReplicationCommands.Create(io)) root.Subcommands.Add(command);
        foreach (var command in DeployCommands.Create(io)) root.Subcommands.Add(command);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) io.Error.WriteLine(error.Message);
            io.Error.WriteLine("Run 'Portal --help' for the commands.");
            return ExitCodes.InvalidInput;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            io.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static Task<int> ServeAsync(string[] args)
    {
        var role = RoleOf(args);
        return role switch
        {
            "admin" => AdminHost.RunAsync(args),
            "web-node" => WebNodeHost.RunAsync(args),
            _ => Task.FromResult(Fail($"Unknown role '{role}'; use admin or web-node.")),
        };
    }

    /// <summary>The role from --role, or the Role setting (env Role / Portal__Role); admin by default.</summary>
    private static string RoleOf(string[] args)
    {
        var config = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        return config["role"] ?? config["Portal:Role"] ?? "admin";
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return ExitCodes.InvalidInput;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;
}

public sealed record ConsoleIo(TextWriter Out, TextWriter Error);
