using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HaPortal.Core.Deploy;
using HaPortal.Core.Docker;
using HaPortal.Core.Persistence;
using HaPortal.Core.Security;
using HaPortal.Core.Topology;

namespace HaPortal.Cli;

/// <summary>
/// plan, apply, destroy, status: a topology (file or stored name) on a Docker engine, through the same
/// <see cref="DeployOperations"/> as the deploy page and the API (one deploy per topology, apply and destroy audited).
/// Settings: Docker__Endpoint (default unix:///var/run/docker.sock), Deploy__WebImage, Deploy__DatabaseImage,
/// Deploy__LoadBalancerImage, Deploy__PublishAddress (default 0.0.0.0), Deploy__ReadyTimeout, Deploy__HealthCheckInterval.
/// </summary>
public static class DeployCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IEnumerable<Command> Create(ConsoleIo io)
    {
        yield return Plan(io);
        yield return Apply(io);
        yield return Destroy(io);
        yield return Status(io);
    }

    private static Argument<string> TargetArgument() => new("FILE|NAME") { Description = "Topology file (YAML) or the name of a stored topology" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Machine-readable output (apply and destroy: one JSON object per line)" };

    private static Command Plan(ConsoleIo io)
    {
        var target = TargetArgument();
        var json = JsonOption();
        var command = new Command("plan", "Show what apply would create, recreate and remove on the Docker engine.") { target, json };
        command.SetAction(async (parse, ct) =>
        {
            var spec = await LoadAsync(parse.GetValue(target)!, io, ct);
            if (spec is null) return ExitCodes.InvalidInput;
            await using var services = await CommandServices.OpenAsync(ct);
            var prepared = await services.GetRequiredService<DeployOperations>().PlanAsync(spec, ct);
            WritePlan(prepared.Plan, parse.GetValue(json), io);
            return prepared.Plan.CanApply ? ExitCodes.Ok : ExitCodes.InvalidInput;
        });
        return command;
    }

    private static Command Apply(ConsoleIo io)
    {
        var target = TargetArgument();
        var json = JsonOption();
        var command = new Command("apply", "Make the Docker engine match the topology, streaming progress; a second apply changes nothing.") { target, json };
        command.SetAction(async (parse, ct) =>
        {
            var source = parse.GetValue(target)!;
            var spec = await LoadAsync(source, io, ct);
            if (spec is null) return ExitCodes.InvalidInput;
            await using var services = await CommandServices.OpenAsync(ct);
            var operations = services.GetRequiredService<DeployOperations>();
            var prepared = await operations.PlanAsync(spec, ct);
            if (!prepared.Plan.CanApply)
            {
                foreach (var problem in prepared.Plan.Problems) io.Error.WriteLine(problem);
                return ExitCodes.InvalidInput;
            }
            if (!parse.GetValue(json)) WritePlan(prepared.Plan, false, io);
            var from = File.Exists(source) ? $"command line, file {Path.GetFullPath(source)}" : "command line, stored topology";
            return await StreamAsync(operations.ApplyAsync(Actor.CommandLine(), prepared, from, ct), parse.GetValue(json), io);
        });
        return command;
    }

    private static Command Destroy(ConsoleIo io)
    {
        var name = new Argument<string>("NAME") { Description = "Topology name" };
        var volumes = new Option<bool>("--volumes") { Description = "Also remove the databases' data volumes" };
        var json = JsonOption();
        var command = new Command("destroy", "Remove every container and network the topology owns on the engine (data volumes only with --volumes).") { name, volumes, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = await CommandServices.OpenAsync(ct);
            var operations = services.GetRequiredService<DeployOperations>();
            var plan = await operations.PlanDestroyAsync(parse.GetValue(name)!, parse.GetValue(volumes), ct);
            if (!parse.GetValue(json)) WritePlan(plan, false, io);
            return await StreamAsync(operations.DestroyAsync(Actor.CommandLine(), plan, ct), parse.GetValue(json), io);
        });
        return command;
    }

    private static Command Status(ConsoleIo io)
    {
        var name = new Argument<string>("NAME") { Description = "Topology name" };
        var json = JsonOption();
        var command = new Command("status", "Show the containers, networks and volumes a topology has on the engine.") { name, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = await CommandServices.OpenAsync(ct);
            var status = await services.GetRequiredService<DeployOperations>().StatusAsync(parse.GetValue(name)!, ct);
            if (parse.GetValue(json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(status, Json));
                return ExitCodes.Ok;
            }
            if (!status.Exists)
            {
                io.Out.WriteLine($"{status.Topology}: nothing on the engine.");
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"{status.Topology}:");
            foreach (var n in status.Nodes)
                io.Out.WriteLine($"  {n.Node,-12} {n.Role,-14} {n.State,-10} {n.Health ?? "-",-10} restarts {n.RestartCount,-3} {n.Image}");
            foreach (var network in status.Networks) io.Out.WriteLine($"  network {network}");
            foreach (var volume in status.Volumes) io.Out.WriteLine($"  volume  {volume}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> StreamAsync(IAsyncEnumerable<DeployProgress> progress, bool json, ConsoleIo io)
    {
        var result = ExitCodes.Failure;
        await foreach (var e in progress)
        {
            if (json)
                io.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    kind = e.Kind,
                    step = e.Step?.ToString(),
                    node = e.Step?.Node,
                    message = e.Message,
                    seconds = Math.Round(e.Elapsed.TotalSeconds, 1),
                }, Json));
            else
            {
                var line = $"[{e.Elapsed.TotalSeconds,6:0.0}s] {Verb(e.Kind),-8} {(e.Kind is DeployEventKind.StepProgress ? $"{e.Step?.Name}: " : "")}{e.Message}";
                (e.Kind is DeployEventKind.Failed or DeployEventKind.StepFailed ? io.Error : io.Out).WriteLine(line);
            }
            if (e.IsFinal) result = e.Kind == DeployEventKind.Completed ? ExitCodes.Ok : ExitCodes.Failure;
        }
        return result;
    }

    private static string Verb(DeployEventKind kind) => kind switch
    {
        DeployEventKind.StepStarted => "start",
        DeployEventKind.StepProgress => "…",
        DeployEventKind.StepSucceeded => "done",
        DeployEventKind.StepFailed => "FAILED",
        DeployEventKind.Completed => "complete",
        _ => "STOPPED",
    };

    private static void WritePlan(DeployPlan plan, bool json, ConsoleIo io)
    {
        if (json)
        {
            io.Out.WriteLine(JsonSerializer.Serialize(new
            {
                topology = plan.Topology,
                steps = plan.Steps.Select(s => new { action = s.Action, @object = s.Object, name = s.Name, node = s.Node, tier = s.Tier, reason = s.Reason }),
                problems = plan.Problems,
            }, Json));
            return;
        }
        foreach (var problem in plan.Problems) io.Error.WriteLine(problem);
        io.Out.WriteLine(plan.IsEmpty ? $"{plan.Topology}: up to date, nothing to do." : $"{plan.Topology}: {plan.Steps.Length} step(s)");
        foreach (var step in plan.Steps) io.Out.WriteLine($"  {step}");
    }

    internal static async Task<TopologySpec?> LoadAsync(string target, ConsoleIo io, CancellationToken ct)
    {
        if (File.Exists(target) || target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            return TopologyCommands.ReadFile(new FileInfo(target), io)?.Spec;
        await using var services = await CommandServices.OpenAsync(ct);
        var stored = await services.GetRequiredService<TopologyStore>().GetAsync(target, null, ct);
        if (stored is null)
        {
            io.Error.WriteLine($"FILE|NAME: '{target}' is neither a file nor a stored topology.");
            return null;
        }
        var report = TopologyValidator.Validate(stored.Spec);
        if (!report.IsValid)
        {
            TopologyCommands.ReportProblems(report, io);
            return null;
        }
        return stored.Spec;
    }

    internal static DeploySettings Settings() =>
        Configuration().GetSection(DeploySettings.Section).Get<DeploySettings>() ?? new DeploySettings();

    private static IConfigurationRoot Configuration() => new ConfigurationBuilder()
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();
}
