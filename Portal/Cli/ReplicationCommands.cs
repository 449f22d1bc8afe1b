using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HaPortal.Core.Audit;
using HaPortal.Core.Persistence;
using HaPortal.Core.Replication;
using HaPortal.Core.Security;

namespace HaPortal.Cli;

/// <summary>
/// status, switchover, failover, rejoin, drill: replication of a stored topology's database tier. A topology deployed by the
/// portal is found on the engine; for any other, each node is given as --node NAME=HOST:PORT and credentials come from
/// environment variables named by options.
/// Exit codes: 0 done, 1 refused or failed (reasons on stderr, or in the JSON), 2 invalid input.
/// </summary>
public static class ReplicationCommands
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, Converters = { new JsonStringEnumConverter() },
    };

    private sealed record Common(Argument<string> Name, Option<string[]> Nodes, Option<string[]> PidFiles, Option<bool> AsJson,
        Option<string> AdminUser, Option<string> AdminPassword, Option<string> ReplUser, Option<string> ReplPassword);

    public static IEnumerable<Command> Create(ConsoleIo io)
    {
        yield return Status(io);
        yield return Switchover(io);
        yield return Failover(io);
        yield return Rejoin(io);
        yield return Drill(io);
    }

    private static Common Options(Command command)
    {
        var c = new Common(
            new Argument<string>("NAME") { Description = "Topology name" },
            new Option<string[]>("--node") { Description = "Endpoint of a database node, NAME=HOST:PORT (repeat for every node)", AllowMultipleArgumentsPerToken = false },
            new Option<string[]>("--pid-file") { Description = "NAME=PATH of a local mariadbd pid file, to fence a local process" },
            new Option<bool>("--json") { Description = "Print the result as JSON" },
            new Option<string>("--admin-user-env") { Description = "Environment variable holding the admin user", DefaultValueFactory = _ => "HAPORTAL_DB_ADMIN_USER" },
            new Option<string>("--admin-password-env") { Description = "Environment variable holding the admin password", DefaultValueFactory = _ => "HAPORTAL_DB_ADMIN_PASSWORD" },
            new Option<string>("--repl-user-env") { Description = "Environment variable holding the replication user", DefaultValueFactory = _ => "HAPORTAL_DB_REPL_USER" },
            new Option<string>("--repl-password-env") { Description = "Environment variable holding the replication password", DefaultValueFactory = _ => "HAPORTAL_DB_REPL_PASSWORD" });
        command.Arguments.Add(c.Name);
        foreach (var o in new Option[] { c.Nodes, c.PidFiles, c.AsJson, c.AdminUser, c.AdminPassword, c.ReplUser, c.ReplPassword }) command.Options.Add(o);
        return c;
    }

    private sealed record Context(ReplicationCluster Cluster, ReplicationOperations Operations, bool Json) : IAsyncDisposable
    {
        public required IReplicationControl Control { get; init; }
        public NoRouterSwitch? Routing { get; init; }

        /// <summary>Set when the topology is deployed on the engine: the drill setup its containers give.</summary>
        public DrillSetup? Deployed { get; init; }

        /// <summary>The cluster as it is now (deployed: addresses change when a container restarts).</summary>
        public Func<Task<ReplicationCluster?>>? Refresh { get; init; }
        public required IReadOnlyDictionary<string, string> PidFiles { get; init; }
        public required IReadOnlyDictionary<string, DbEndpoint> Endpoints { get; init; }
        public required ServiceProvider Services { get; init; }
        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }

    /// <summary>
    /// Resolves topology, endpoints and credentials, reporting every problem at once; null when there were any. Without
    /// --node, a topology deployed on the engine is operated through its containers (endpoints, logins, fencing, routing).
    /// </summary>
    private static async Task<Context?> OpenAsync(ParseResult parse, Common c, ConsoleIo io, CancellationToken ct)
    {
        if ((parse.GetValue(c.Nodes) ?? []).Length == 0 && await OpenDeployedAsync(parse, c, io, ct) is { Handled: true } deployed) return deployed.Context;
        var problems = new List<string>();
        var (endpoints, endpointProblems) = EndpointSpec.Parse(parse.GetValue(c.Nodes) ?? []);
        problems.AddRange(endpointProblems);
        var pidFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in parse.GetValue(c.PidFiles) ?? [])
        {
            var eq = p.IndexOf('=');
            if (eq <= 0) problems.Add($"--pid-file '{p}': write NAME=PATH.");
            else pidFiles[p[..eq]] = p[(eq + 1)..];
        }
        var (credentials, credentialProblems) = EndpointSpec.FromEnvironment(parse.GetValue(c.AdminUser)!, parse.GetValue(c.AdminPassword)!,
            parse.GetValue(c.ReplUser)!, parse.GetValue(c.ReplPassword)!);
        problems.AddRange(credentialProblems);
        var services = await CommandServices.OpenAsync(ct);
        var name = parse.GetValue(c.Name)!;
        var stored = await services.GetRequiredService<TopologyStore>().GetAsync(name, ct: ct);
        ReplicationCluster? cluster = null;
        if (stored is null) problems.Add($"NAME: no topology '{name}'.");
        else
        {
            var (built, clusterProblems) = ReplicationCluster.From(stored.Spec, endpoints);
            problems.AddRange(clusterProblems);
            cluster = built;
        }
        if (problems.Count > 0 || cluster is null || credentials is null)
        {
            foreach (var p in problems) io.Error.WriteLine(p);
            await services.DisposeAsync();
            return null;
        }
        var control = new MySqlReplicationControl(credentials, cluster.Flavor);
        var fences = new List<IFencing> { new ReadOnlyFencing(control) };
        if (pidFiles.Count > 0) fences.Add(new LocalProcessFencing(pidFiles));
        var time = services.GetRequiredService<TimeProvider>();
        var routing = new NoRouterSwitch();
        var operations = new ReplicationOperations(control, new FirstConfirmedFencing([.. fences]), routing, time, null,
            services.GetRequiredService<TopologyStore>(), services.GetRequiredService<AuditLog>());
        return new Context(cluster, operations, parse.GetValue(c.AsJson))
        {
            Services = services, Control = control, Routing = routing, PidFiles = pidFiles, Endpoints = endpoints,
        };
    }

    /// <summary>
    /// The deployed topology's context; null with Handled when it is deployed but cannot be operated (every problem
    /// printed); not Handled when the engine has none of its databases (the --node path takes over).
    /// </summary>
    private static async Task<(bool Handled, Context? Context)> OpenDeployedAsync(ParseResult parse, Common c, ConsoleIo io, CancellationToken ct)
    {
        var services = await CommandServices.OpenAsync(ct);
        var docker = new DockerReplication(services.GetRequiredService<Core.Docker.IContainerEngine>(), services.GetRequiredService<Core.Deploy.DeploySettings>(),
            services.GetRequiredService<TopologyStore>(), services.GetRequiredService<AuditLog>(), services.GetRequiredService<TimeProvider>());
        var name = parse.GetValue(c.Name)!;
        var resolved = await docker.ResolveAsync(name, ct);
        if (resolved is not { } d)
        {
            await services.DisposeAsync();
            return (false, null);
        }
        if (d.Target.Cluster is null || d.Target.Operations is null || d.Target.Control is null)
        {
            foreach (var (field, message) in d.Target.Problems) io.Error.WriteLine($"{field}: {message}");
            await services.DisposeAsync();
            return (true, null);
        }
        return (true, new Context(d.Target.Cluster, d.Target.Operations, parse.GetValue(c.AsJson))
        {
            Services = services, Control = d.Target.Control, Deployed = d.Drill, PidFiles = new Dictionary<string, string>(),
            Endpoints = d.Target.Cluster.Nodes.ToDictionary(n => n.Name, n => n.Endpoint),
            Refresh = async () => (await docker.ResolveAsync(name, ct))?.Target.Cluster,
        });
    }

    private static Command Status(ConsoleIo io)
    {
        var command = new Command("replication-status", "Replication state of every database node, and how it differs from the stored topology.");
        var c = Options(command);
        command.SetAction(async (parse, ct) =>
        {
            await using var ctx = await OpenAsync(parse, c, io, ct);
            if (ctx is null) return ExitCodes.InvalidInput;
            var view = await ctx.Operations.StatusAsync(ctx.Cluster, ct);
            var drift = view.Drift();
            if (ctx.Json)
                io.Out.WriteLine(JsonSerializer.Serialize(new { topology = ctx.Cluster.Topology, expectedPrimary = ctx.Cluster.ExpectedPrimary, at = view.At, nodes = view.Nodes, drift }, Json));
            else
            {
                foreach (var n in view.Nodes)
                {
                    var r = n.Replica;
                    io.Out.WriteLine(n.Reachable
                        ? $"{n.Name,-8} {n.Role,-18} read_only={(n.ReadOnly ? "ON " : "OFF")} gtid={n.CurrentPos}" +
                          (r is null ? "" : $" source={view.SourceOf(n) ?? r.SourceHost + ":" + r.SourcePort} io={r.IoRunning} sql={r.SqlRunning} lag={(r.SecondsBehind is { } l ? $"{l}s" : "-")}" +
                              (r.LastIoError.Length > 0 ? $" io_error=\"{r.LastIoError}\"" : "") + (r.LastSqlError.Length > 0 ? $" sql_error=\"{r.LastSqlError}\"" : ""))
                        : $"{n.Name,-8} {n.Role,-18} {n.Error}");
                }
                foreach (var d in drift) io.Out.WriteLine($"drift: {d}");
            }
            return drift.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static Command Switchover(ConsoleIo io)
    {
        var command = new Command("switchover", "Planned switchover of the primary to a replica: pre-checks, then the move; rolled back on failure before promotion.");
        var c = Options(command);
        var to = new Option<string>("--to") { Description = "The replica to promote", Required = true };
        var check = new Option<bool>("--check") { Description = "Run the pre-checks only; change nothing" };
        command.Options.Add(to);
        command.Options.Add(check);
        command.SetAction(async (parse, ct) =>
        {
            await using var ctx = await OpenAsync(parse, c, io, ct);
            if (ctx is null) return ExitCodes.InvalidInput;
            var target = parse.GetValue(to)!;
            if (ctx.Cluster.Find(target) is null || target == ctx.Cluster.ExpectedPrimary)
            {
                io.Error.WriteLine($"--to: '{target}' is not a replica of '{ctx.Cluster.Topology}'.");
                return ExitCodes.InvalidInput;
            }
            if (parse.GetValue(check))
            {
                var (_, checks) = await ctx.Operations.CheckSwitchoverAsync(ctx.Cluster, target, ct);
                if (ctx.Json) io.Out.WriteLine(JsonSerializer.Serialize(checks, Json));
                else foreach (var k in checks) io.Out.WriteLine($"{(k.Passed ? "PASS" : "FAIL")} {k.Name}: {k.Reason}");
                return checks.All(k => k.Passed) ? ExitCodes.Ok : ExitCodes.Failure;
            }
            return Print(await ctx.Operations.SwitchoverAsync(ctx.Cluster, target, Actor.CommandLine(), ct), ctx.Json, io);
        });
        return command;
    }

    private static Command Failover(ConsoleIo io)
    {
        var command = new Command("failover", "Failover when the primary is unreachable: fence it, promote the most advanced eligible replica, repoint the others.");
        var c = Options(command);
        command.SetAction(async (parse, ct) =>
        {
            await using var ctx = await OpenAsync(parse, c, io, ct);
            if (ctx is null) return ExitCodes.InvalidInput;
            return Print(await ctx.Operations.FailoverAsync(ctx.Cluster, Actor.CommandLine(), ct), ctx.Json, io);
        });
        return command;
    }

    private static Command Rejoin(ConsoleIo io)
    {
        var command = new Command("rejoin", "Bring a node back as a read-only replica of the primary, or keep it out for a rebuild with the reason.");
        var c = Options(command);
        var node = new Argument<string>("NODE") { Description = "The node to rejoin" };
        command.Arguments.Add(node);
        command.SetAction(async (parse, ct) =>
        {
            await using var ctx = await OpenAsync(parse, c, io, ct);
            if (ctx is null) return ExitCodes.InvalidInput;
            var n = parse.GetValue(node)!;
            if (ctx.Cluster.Find(n) is null)
            {
                io.Error.WriteLine($"NODE: '{ctx.Cluster.Topology}' has no database node '{n}'.");
                return ExitCodes.InvalidInput;
            }
            return Print(await ctx.Operations.RejoinAsync(ctx.Cluster, n, Actor.CommandLine(), ct), ctx.Json, io);
        });
        return command;
    }

    private static Command Drill(ConsoleIo io)
    {
        var command = new Command("drill", "Failover drill: a bounded write load with every acknowledged write recorded, the primary switched over, killed or paused; " +
            "prints the timeline and acknowledged writes lost. A stack deployed by the portal needs no --node: comments are posted through its load balancer " +
            "and its containers killed or paused; for local processes, kill and pause need --pid-file for every node.");
        var c = Options(command);
        var kind = new Option<string>("--kind") { Description = "switchover | kill | pause", DefaultValueFactory = _ => "kill" };
        var runs = new Option<int>("--runs") { Description = "How many drills, one after the other (1–20)", DefaultValueFactory = _ => 1 };
        var appUser = new Option<string>("--app-user-env") { Description = "Environment variable holding the application user the load writes as", DefaultValueFactory = _ => "HAPORTAL_DB_APP_USER" };
        var appPassword = new Option<string>("--app-password-env") { Description = "Environment variable holding its password", DefaultValueFactory = _ => "HAPORTAL_DB_APP_PASSWORD" };
        foreach (var o in new Option[] { kind, runs, appUser, appPassword }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<string>();
            if (!Enum.TryParse<DrillKind>(parse.GetValue(kind), ignoreCase: true, out var k) || !Enum.IsDefined(k))
                problems.Add($"--kind '{parse.GetValue(kind)}': use switchover, kill or pause.");
            var n = parse.GetValue(runs);
            if (n is < 1 or > 20) problems.Add($"--runs {n}: use 1–20.");
            var user = Environment.GetEnvironmentVariable(parse.GetValue(appUser)!);
            var password = Environment.GetEnvironmentVariable(parse.GetValue(appPassword)!);
            await using var ctx = await OpenAsync(parse, c, io, ct);
            // A deployed stack is written to through its load balancer and disrupted through the engine.
            if (ctx?.Deployed is null)
            {
                if (string.IsNullOrEmpty(user)) problems.Add($"environment variable {parse.GetValue(appUser)} is not set.");
                if (string.IsNullOrEmpty(password)) problems.Add($"environment variable {parse.GetValue(appPassword)} is not set.");
            }
            if (ctx is { Deployed: null } && k != DrillKind.Switchover)
                foreach (var node in ctx.Cluster.Nodes.Where(x => !ctx.PidFiles.ContainsKey(x.Name)))
                    problems.Add($"--pid-file: a {k.ToString().ToLowerInvariant()} drill needs the pid file of {node.Name}.");
            foreach (var p in problems) io.Error.WriteLine(p);
            if (ctx is null || problems.Count > 0) return ExitCodes.InvalidInput;

            var store = ctx.Services.GetRequiredService<TopologyStore>();
            var spec = (await store.GetAsync(ctx.Cluster.Topology, ct: ct))!.Spec;
            var setup = ctx.Deployed ?? new DrillSetup(ctx.Operations, ctx.Control, ctx.Routing,
                e => new MySqlConnector.MySqlConnectionStringBuilder
                {
                    Server = e.Host, Port = (uint)e.Port, UserID = user, Password = password, ConnectionTimeout = 2, Pooling = false,
                }.ConnectionString,
                spec.Database.AppSchema, ctx.PidFiles.Count > 0 ? new LocalProcessDisruption(ctx.PidFiles) : null,
                ctx.PidFiles.Count > 0 ? new LocalProcessRestore(ctx.PidFiles) : null);
            async Task<ReplicationCluster?> Current()
            {
                if (ctx.Refresh is not null) return await ctx.Refresh();
                var stored = await store.GetAsync(ctx.Cluster.Topology, ct: ct);
                return stored is null ? null : ReplicationCluster.From(stored.Spec, ctx.Endpoints).Cluster;
            }
            var results = await ctx.Services.GetRequiredService<DrillSession>().RunAsync(ctx.Cluster.Topology, Current, setup, k, n, Actor.CommandLine(),
                FailoverDrills.OptionsFor(spec.Database.AutoFailover), ct);
            var reports = results.Select(r => r.Report).ToList();
            var measured = reports.Where(r => r.UnavailableMs is not null).Select(r => r.UnavailableMs!.Value).Order().ToList();
            var median = measured.Count == 0 ? (double?)null : measured.Count % 2 == 1 ? measured[measured.Count / 2] : (measured[measured.Count / 2 - 1] + measured[measured.Count / 2]) / 2;
            var ok = reports.Count == n && reports.All(r => r.Succeeded);
            if (ctx.Json)
                io.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    topology = ctx.Cluster.Topology, kind = k, runs = reports, medianUnavailableSeconds = median / 1000,
                    acknowledgedLost = reports.Sum(r => r.Lost), duplicated = reports.Sum(r => r.Duplicated), succeeded = ok,
                }, Json));
            else
            {
                foreach (var r in reports)
                {
                    foreach (var e in r.Timeline) io.Out.WriteLine($"{e.AtMs,9:0.0} ms  {e.Step}: {e.Detail}");
                    (r.Succeeded ? io.Out : io.Error).WriteLine(r.Summary);
                }
                io.Out.WriteLine($"{k} drill, {reports.Count} run(s): median write unavailability {(median is { } m ? $"{m / 1000:0.000} s" : "n/a")}, " +
                    $"acknowledged writes lost {reports.Sum(r => r.Lost)}, rows duplicated {reports.Sum(r => r.Duplicated)}");
            }
            return ok ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static int Print(ReplicationOperationResult result, bool json, ConsoleIo io)
    {
        if (json) io.Out.WriteLine(JsonSerializer.Serialize(result, Json));
        else
        {
            foreach (var k in result.Checks) io.Out.WriteLine($"{(k.Passed ? "PASS" : "FAIL")} {k.Name}: {k.Reason}");
            var start = result.Timeline.FirstOrDefault()?.At;
            foreach (var t in result.Timeline) io.Out.WriteLine($"+{(t.At - start!.Value).TotalMilliseconds,6:0}ms {(t.Ok ? "ok  " : "FAIL")} {t.Step}: {t.Detail}");
            (result.Succeeded ? io.Out : io.Error).WriteLine(result.Summary);
        }
        return result.Succeeded ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
