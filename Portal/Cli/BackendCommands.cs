using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HaPortal.Core.Deploy;
using HaPortal.Core.Haproxy;
using HaPortal.Core.Rendering;
using HaPortal.Core.Security;

namespace HaPortal.Cli;

/// <summary>
/// backends list | set-weight | drain | ready | maint | add | remove: a running HAProxy's servers, changed at runtime.
/// --runtime names the runtime API (socket path or host:port); --topology records the change in a stored topology so a
/// redeploy keeps it. --topology without --runtime operates that topology's deployed load balancer through the container
/// engine, and there add/remove start or stop the web node's container too. Every change is audited as the command-line user.
/// </summary>
public static class BackendCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Command Create(ConsoleIo io)
    {
        var backends = new Command("backends", "Operate a running HAProxy's backends through its runtime API (no reload).");
        backends.Subcommands.Add(List(io));
        backends.Subcommands.Add(SetWeight(io));
        foreach (var state in BackendOperations.StateNames) backends.Subcommands.Add(SetState(io, state));
        backends.Subcommands.Add(Add(io));
        backends.Subcommands.Add(Remove(io));
        backends.Subcommands.Add(Settings(io));
        return backends;
    }

    private sealed record Common(Option<string> Runtime, Option<string?> Topology, Option<bool> Json);

    private static Common Options(Command command, bool topology = true)
    {
        var common = new Common(
            new Option<string>("--runtime") { Description = "HAProxy runtime API: socket path or host:port (ipv4@127.0.0.1:9999); leave out to operate the deployed --topology's load balancer" },
            new Option<string?>("--topology") { Description = "Stored topology to record the change in, so a restart keeps it; without --runtime, the deployed topology whose load balancer to operate" },
            new Option<bool>("--json") { Description = "Machine-readable output" });
        command.Options.Add(common.Runtime);
        if (topology) command.Options.Add(common.Topology);
        command.Options.Add(common.Json);
        return common;
    }

    private static Argument<string> ServerArgument() => new("BACKEND/SERVER") { Description = "The server, as HAProxy names it (web/web1)" };

    private static Command List(ConsoleIo io)
    {
        var command = new Command("list", "Backends and their servers: state, weight, sessions, health check.");
        var o = Options(command);
        command.SetAction(async (parse, ct) =>
        {
            await using var services = await CommandServices.OpenAsync(ct);
            if (Runtime(parse, o, services, io) is not { } runtime) return ExitCodes.InvalidInput;
            var list = await runtime.ListBackendsAsync(ct);
            if (parse.GetValue(o.Json)) io.Out.WriteLine(JsonSerializer.Serialize(list, Json));
            else
                foreach (var be in list)
                {
                    io.Out.WriteLine($"{be.Name}  {be.Status}  balance {be.Algorithm}  cookie {be.Cookie ?? "-"}  sessions {be.CurrentSessions}");
                    foreach (var s in be.Servers)
                        io.Out.WriteLine($"  {s.Name,-12} {s.Status,-10} {s.Admin.ToString().ToLowerInvariant(),-6} weight {s.Weight,3}  sessions {s.CurrentSessions,4}  rate {s.SessionRate,4}/s  check {(s.HealthCheckEnabled ? s.CheckStatus : "off"),-6} {s.Address}:{s.Port}");
                }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SetWeight(ConsoleIo io)
    {
        var server = ServerArgument();
        var weight = new Argument<int>("WEIGHT") { Description = "0–256; 0 takes the server out of rotation" };
        var command = new Command("set-weight", "Change a server's weight at runtime.") { server, weight };
        var o = Options(command);
        command.SetAction((parse, ct) => ChangeAsync(io, parse, o, parse.GetValue(server)!, ct, (ops, rt, actor, be, srv) =>
            ops.SetWeightAsync(rt, actor, be, srv, parse.GetValue(weight), parse.GetValue(o.Topology), ct)));
        return command;
    }

    private static Command SetState(ConsoleIo io, string state)
    {
        var server = ServerArgument();
        var description = state switch
        {
            "drain" => "Send no new sessions to the server; sticky sessions still reach it.",
            "maint" => "Take the server out of service: no traffic at all.",
            _ => "Put the server back in rotation.",
        };
        var command = new Command(state, description) { server };
        var o = Options(command);
        command.SetAction((parse, ct) => ChangeAsync(io, parse, o, parse.GetValue(server)!, ct, (ops, rt, actor, be, srv) =>
            ops.SetStateAsync(rt, actor, be, srv, state, parse.GetValue(o.Topology), ct)));
        return command;
    }

    private static Command Add(ConsoleIo io)
    {
        var server = ServerArgument();
        var address = new Argument<string?>("ADDRESS") { Description = "host:port of the web node; none for a deployed --topology (the engine starts its container)", Arity = ArgumentArity.ZeroOrOne };
        var weight = new Option<int>("--weight") { Description = "0–256", DefaultValueFactory = _ => 100 };
        var noCheck = new Option<bool>("--no-check") { Description = "Do not health-check the server" };
        var command = new Command("add", "Add a server at runtime (HAProxy 2.6: no cookie on dynamic servers).") { server, address, weight, noCheck };
        var o = Options(command);
        command.SetAction((parse, ct) =>
        {
            if (IsDeployed(parse, o))
                return parse.GetValue(address) is { } given
                    ? Invalid(io, $"ADDRESS: a deployed topology's web node runs in a container the engine starts; leave '{given}' out.")
                    : NodeChangeAsync(io, parse, o, parse.GetValue(server)!, ct, (lbs, actor, topology, node) =>
                        lbs.AddNodeAsync(actor, topology, node, parse.GetValue(weight), line => io.Out.WriteLine($"  {line}"), ct));
            var text = parse.GetValue(address) ?? "";
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port))
            {
                io.Error.WriteLine($"ADDRESS: '{text}' is not host:port.");
                return Task.FromResult(ExitCodes.InvalidInput);
            }
            return ChangeAsync(io, parse, o, parse.GetValue(server)!, ct, (ops, rt, actor, be, srv) =>
                ops.AddServerAsync(rt, actor, be, new DynamicServer(srv, text[..colon], port, parse.GetValue(weight), !parse.GetValue(noCheck)),
                    parse.GetValue(o.Topology), ct));
        });
        return command;
    }

    private static Command Remove(ConsoleIo io)
    {
        var server = ServerArgument();
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the server's sessions to end", DefaultValueFactory = _ => 30 };
        var force = new Option<bool>("--force") { Description = "At the timeout, shut the remaining sessions and delete anyway" };
        var command = new Command("remove", "Drain a server, wait for its sessions to end, then delete it.") { server, timeout, force };
        var o = Options(command);
        command.SetAction((parse, ct) => IsDeployed(parse, o)
            ? NodeChangeAsync(io, parse, o, parse.GetValue(server)!, ct, (lbs, actor, topology, node) =>
                lbs.RemoveNodeAsync(actor, topology, node, TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(force), line => io.Out.WriteLine($"  {line}"), ct))
            : ChangeAsync(io, parse, o, parse.GetValue(server)!, ct, (ops, rt, actor, be, srv) =>
            ops.RemoveServerAsync(rt, actor, be, srv, TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(force), parse.GetValue(o.Topology), ct)));
        return command;
    }

    private static Command Settings(ConsoleIo io)
    {
        var topology = new Argument<string>("TOPOLOGY") { Description = "The stored topology whose load balancer settings change" };
        var config = new Option<string>("--config") { Description = "The live haproxy.cfg the master process reads (-f)", Required = true };
        var master = new Option<string>("--master") { Description = "The master CLI socket (-S)", Required = true };
        var binary = new Option<string>("--haproxy") { Description = "haproxy binary that checks the candidate", DefaultValueFactory = _ => "haproxy" };
        var bind = new Option<string?>("--bind") { Description = "Frontend bind address when HAProxy runs outside Docker (127.0.0.1:8080)" };
        var nodes = new Option<string[]>("--node") { Description = "NAME=HOST:PORT where a web node is reached outside Docker (repeatable)", AllowMultipleArgumentsPerToken = false };
        var balance = new Option<string?>("--balance") { Description = string.Join(" | ", BackendSettings.Balances) };
        var cookie = new Option<string?>("--cookie") { Description = "Sticky cookie name" };
        var mode = new Option<string?>("--mode") { Description = string.Join(" | ", BackendSettings.StickyModes) };
        var sticky = new Option<bool?>("--sticky") { Description = "Sticky sessions on or off" };
        var indirect = new Option<bool?>("--indirect") { Description = "Cookie option indirect" };
        var nocache = new Option<bool?>("--nocache") { Description = "Cookie option nocache" };
        var path = new Option<string?>("--check-path") { Description = "Health check URL path" };
        var interval = new Option<int?>("--interval") { Description = "Health check interval in ms" };
        var rise = new Option<int?>("--rise") { Description = "Passing checks before a server is up" };
        var fall = new Option<int?>("--fall") { Description = "Failing checks before a server is down" };
        var status = new Option<int?>("--expect-status") { Description = "HTTP status a passing check answers with" };
        var command = new Command("settings", "Change balance, stickiness and health-check settings: render, haproxy -c, reload; a rejected config is never installed.")
        {
            topology, config, master, binary, bind, nodes, balance, cookie, mode, sticky, indirect, nocache, path, interval, rise, fall, status,
        };
        var o = Options(command, topology: false);
        command.SetAction(async (parse, ct) =>
        {
            if (string.IsNullOrWhiteSpace(parse.GetValue(o.Runtime)))
            {
                io.Error.WriteLine("--runtime: settings need the runtime API of the HAProxy whose config file changes (a deployed topology's settings change through the topology and apply).");
                return ExitCodes.InvalidInput;
            }
            var addresses = new Dictionary<string, string>(StringComparer.Ordinal);
            var invalid = false;
            foreach (var node in parse.GetValue(nodes) ?? [])
            {
                var eq = node.IndexOf('=');
                if (eq <= 0 || eq == node.Length - 1) { io.Error.WriteLine($"--node: '{node}' is not NAME=HOST:PORT."); invalid = true; }
                else addresses[node[..eq]] = node[(eq + 1)..];
            }
            await using var services = await CommandServices.OpenAsync(ct);
            var (target, problems) = services.GetRequiredService<HaproxyTargets>().Resolve(new HaproxySettings
            {
                RuntimeEndpoint = parse.GetValue(o.Runtime), ConfigPath = parse.GetValue(config), MasterSocket = parse.GetValue(master),
                Binary = parse.GetValue(binary)!, FrontendBind = parse.GetValue(bind), NodeAddresses = addresses,
            });
            foreach (var p in problems) io.Error.WriteLine($"--{Kebab(p.Path)}: {p.Message}");
            var name = parse.GetValue(topology)!;
            var stored = await services.GetRequiredService<HaPortal.Core.Persistence.TopologyStore>().GetAsync(name, ct: ct);
            if (stored is null) { io.Error.WriteLine($"TOPOLOGY: no topology named '{name}'."); invalid = true; }
            if (invalid || target is null) return ExitCodes.InvalidInput;

            var current = BackendSettings.From(stored!.Spec.LoadBalancer);
            var wanted = current with
            {
                Balance = parse.GetValue(balance) ?? current.Balance, Cookie = parse.GetValue(cookie) ?? current.Cookie,
                StickyMode = parse.GetValue(mode) ?? current.StickyMode, StickyEnabled = parse.GetValue(sticky) ?? current.StickyEnabled,
                Indirect = parse.GetValue(indirect) ?? current.Indirect, NoCache = parse.GetValue(nocache) ?? current.NoCache,
                CheckPath = parse.GetValue(path) ?? current.CheckPath, IntervalMs = parse.GetValue(interval) ?? current.IntervalMs,
                Rise = parse.GetValue(rise) ?? current.Rise, Fall = parse.GetValue(fall) ?? current.Fall,
                ExpectStatus = parse.GetValue(status) ?? current.ExpectStatus,
            };
            var result = await services.GetRequiredService<BackendOperations>().ApplySettingsAsync(target, Actor.CommandLine(), name, wanted, ct);
            if (parse.GetValue(o.Json))
                io.Out.WriteLine(JsonSerializer.Serialize(new { succeeded = result.Succeeded, problems = result.Problems.Select(p => new { field = p.Path, p.Message }), result.Revision, result.WorkerPid }, Json));
            foreach (var problem in result.Problems) io.Error.WriteLine($"{(problem.Path == "haproxy" ? "haproxy" : "--" + Kebab(problem.Path))}: {problem.Message}");
            if (!result.Succeeded) return result.Problems.Any(p => p.Path == "haproxy") ? ExitCodes.Failure : ExitCodes.InvalidInput;
            if (!parse.GetValue(o.Json)) io.Out.WriteLine($"reloaded (worker {result.WorkerPid}); recorded in topology '{name}' as revision {result.Revision?.Number}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A settings field as the command's option is spelled (checkPath → check-path, expectStatus → expect-status).</summary>
    private static string Kebab(string field) => field switch
    {
        "stickyMode" => "mode",
        "stickyEnabled" => "sticky",
        "intervalMs" => "interval",
        "runtimeEndpoint" => "runtime",
        "configPath" => "config",
        "masterSocket" => "master",
        _ => string.Concat(field.Select(c => char.IsUpper(c) ? $"-{char.ToLowerInvariant(c)}" : c.ToString())),
    };

    private delegate Task<BackendChangeResult> Change(BackendOperations operations, IHaproxyRuntime runtime, Actor actor, string backend, string server);

    private static async Task<int> ChangeAsync(ConsoleIo io, ParseResult parse, Common o, string id, CancellationToken ct, Change change)
    {
        var invalid = false;
        var slash = id.IndexOf('/');
        if (slash <= 0 || slash == id.Length - 1)
        {
            io.Error.WriteLine($"BACKEND/SERVER: '{id}' names no server; write it as backend/server (web/web1).");
            invalid = true;
        }
        if (invalid) return ExitCodes.InvalidInput;
        await using var services = await CommandServices.OpenAsync(ct);
        if (Runtime(parse, o, services, io) is not { } runtime) return ExitCodes.InvalidInput;
        var operations = services.GetRequiredService<BackendOperations>();
        var result = await change(operations, runtime, Actor.CommandLine(), id[..slash], id[(slash + 1)..]);
        if (parse.GetValue(o.Json))
            io.Out.WriteLine(JsonSerializer.Serialize(new { succeeded = result.Succeeded, problems = result.Problems.Select(p => new { field = p.Path, p.Message }), result.Server, result.Revision, result.Removal }, Json));
        foreach (var problem in result.Problems) io.Error.WriteLine($"{problem.Path}: {problem.Message}");
        if (!result.Succeeded) return result.Removal is { Outcome: RemovalOutcome.TimedOut } ? ExitCodes.Failure : ExitCodes.InvalidInput;
        if (!parse.GetValue(o.Json))
        {
            io.Out.WriteLine(result.Server is { } s
                ? $"{s.Id}: {s.Status}, {s.Admin.ToString().ToLowerInvariant()}, weight {s.Weight}"
                : $"{id}: deleted ({result.Removal?.SessionsLeft ?? 0} sessions shut)");
            if (result.Revision is { } r) io.Out.WriteLine($"recorded in topology '{parse.GetValue(o.Topology)}' as revision {r.Number}");
        }
        return ExitCodes.Ok;
    }

    private static bool IsDeployed(ParseResult parse, Common o) =>
        string.IsNullOrWhiteSpace(parse.GetValue(o.Runtime)) && !string.IsNullOrWhiteSpace(parse.GetValue(o.Topology));

    /// <summary>--runtime's HAProxy, or without it the deployed --topology's load balancer (through the engine).</summary>
    private static IHaproxyRuntime? Runtime(ParseResult parse, Common o, IServiceProvider services, ConsoleIo io)
    {
        if (IsDeployed(parse, o)) return services.GetRequiredService<IDeployedLoadBalancers>().Runtime(parse.GetValue(o.Topology)!.Trim());
        if (HaproxyEndpoint.TryParse(parse.GetValue(o.Runtime), out var error) is { } endpoint) return new HaproxyRuntime(endpoint, TimeProvider.System);
        io.Error.WriteLine($"--runtime: {error} Or leave it out and give --topology NAME of a deployed topology.");
        return null;
    }

    private static Task<int> Invalid(ConsoleIo io, string message)
    {
        io.Error.WriteLine(message);
        return Task.FromResult(ExitCodes.InvalidInput);
    }

    /// <summary>Add or remove a deployed topology's web node: SERVER is the node (web3 or web/web3; the backend is always web).</summary>
    private static async Task<int> NodeChangeAsync(ConsoleIo io, ParseResult parse, Common o, string id, CancellationToken ct,
        Func<IDeployedLoadBalancers, Actor, string, string, Task<WebNodeChangeResult>> change)
    {
        var slash = id.IndexOf('/');
        if (slash >= 0 && id[..slash] != HaproxyRenderer.BackendName)
            return await Invalid(io, $"BACKEND/SERVER: a deployed load balancer's web nodes are in the backend '{HaproxyRenderer.BackendName}', not '{id[..slash]}'.");
        await using var services = await CommandServices.OpenAsync(ct);
        var topology = parse.GetValue(o.Topology)!.Trim();
        var result = await change(services.GetRequiredService<IDeployedLoadBalancers>(), Actor.CommandLine(), topology, id[(slash + 1)..]);
        if (parse.GetValue(o.Json))
            io.Out.WriteLine(JsonSerializer.Serialize(new { succeeded = result.Succeeded, problems = result.Problems.Select(p => new { field = p.Path, p.Message }), result.Server, result.Revision, result.Removal }, Json));
        foreach (var problem in result.Problems) io.Error.WriteLine($"{problem.Path}: {problem.Message}");
        if (!result.Succeeded)
            return result.Removal is { Outcome: RemovalOutcome.TimedOut } || result.Problems.Any(p => p.Path == "haproxy") ? ExitCodes.Failure : ExitCodes.InvalidInput;
        if (!parse.GetValue(o.Json)) io.Out.WriteLine($"recorded in topology '{topology}' as revision {result.Revision?.Number}");
        return ExitCodes.Ok;
    }
}
