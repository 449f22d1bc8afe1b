using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HaPortal.Core.ProxySql;
using HaPortal.Core.Security;

namespace HaPortal.Cli;

/// <summary>
/// rules list|add|update|delete|test and servers list|offline|online against ProxySQL admin endpoints.
/// The admin password comes from an environment variable (--password-env), never from the command line.
/// Several --admin endpoints: the first is the canary. Exit 0 done, 2 invalid input, 1 failure.
/// </summary>
public static class ProxySqlCommands
{
    public const string DefaultPasswordEnv = "PROXYSQL_ADMIN_PASSWORD";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static IEnumerable<Command> Create(ConsoleIo io)
    {
        yield return Rules(io);
        yield return Servers(io);
    }

    /// <summary>The connection options every command shares.</summary>
    private sealed class Connection
    {
        public readonly Option<string[]> Admin = new("--admin")
        {
            Description = "ProxySQL admin endpoint host:port; repeat for several nodes (the first is the canary)",
            Required = true, AllowMultipleArgumentsPerToken = false,
        };
        public readonly Option<string> User = new("--user") { Description = "Admin user", DefaultValueFactory = _ => "admin" };
        public readonly Option<string> PasswordEnv = new("--password-env")
        {
            Description = "Environment variable holding the admin password", DefaultValueFactory = _ => DefaultPasswordEnv,
        };
        public readonly Option<string?> Topology = new("--topology") { Description = "Stored topology to write rule changes back to" };
        public readonly Option<bool> Json = new("--json") { Description = "Machine-readable output" };

        public void AddTo(Command c)
        {
            c.Options.Add(Admin);
            c.Options.Add(User);
            c.Options.Add(PasswordEnv);
            c.Options.Add(Json);
        }

        /// <summary>The nodes, or null after printing every problem.</summary>
        public IReadOnlyList<IProxySqlAdmin>? Nodes(ParseResult parse, ConsoleIo io)
        {
            var variable = parse.GetValue(PasswordEnv)!;
            var password = Environment.GetEnvironmentVariable(variable);
            var problems = new List<string>();
            if (password is null) problems.Add($"--password-env: environment variable {variable} is not set; put the admin password there.");
            var factory = new ProxySqlAdminFactory();
            var nodes = new List<IProxySqlAdmin>();
            foreach (var address in parse.GetValue(Admin)!)
            {
                var endpoint = ProxySqlEndpoint.Parse(address, parse.GetValue(User)!, password ?? "", out var problem);
                if (endpoint is null) problems.Add($"--admin: {problem}");
                else nodes.Add(factory.Connect(endpoint));
            }
            foreach (var p in problems) io.Error.WriteLine(p);
            return problems.Count == 0 ? nodes : null;
        }
    }

    private static Command Rules(ConsoleIo io)
    {
        var rules = new Command("rules", "ProxySQL query rules: list, change, test a statement.");
        rules.Subcommands.Add(RulesList(io));
        rules.Subcommands.Add(RuleChange(io, "add"));
        rules.Subcommands.Add(RuleChange(io, "update"));
        rules.Subcommands.Add(RulesDelete(io));
        rules.Subcommands.Add(RulesTest(io));
        return rules;
    }

    private static Command RulesList(ConsoleIo io)
    {
        var c = new Connection();
        var layer = new Option<AdminLayer>("--layer") { Description = "memory, runtime or disk", DefaultValueFactory = _ => AdminLayer.Runtime };
        var command = new Command("list", "The rules in evaluation order, with hit counts.") { layer };
        c.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            var node = nodes[0];
            var list = await node.GetQueryRulesAsync(parse.GetValue(layer), ct);
            var hits = (await node.GetRuleHitsAsync(ct)).ToDictionary(h => h.RuleId, h => h.Hits);
            if (parse.GetValue(c.Json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(list.Select(r => new { rule = r, hits = hits.GetValueOrDefault(r.RuleId) }), Json));
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"{"id",6} {"act",3} {"flagIN",6} {"flagOUT",7} {"hg",4} {"apply",5} {"hits",8}  match");
            foreach (var r in list)
                io.Out.WriteLine($"{r.RuleId,6} {(r.Active ? 1 : 0),3} {r.FlagIn,6} {Show(r.FlagOut),7} {Show(r.DestinationHostgroup),4} {(r.Apply ? 1 : 0),5} {hits.GetValueOrDefault(r.RuleId),8}  "
                    + Describe(r));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Show(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Describe(ProxySqlQueryRule r) => string.Join(" ", new[]
    {
        r.MatchDigest is { } d ? $"digest~'{d}'" : null,
        r.MatchPattern is { } p ? $"{(r.NegateMatchPattern ? "!" : "")}pattern~'{p}'" : null,
        r.Username is { } u ? $"user={u}" : null,
        r.Schemaname is { } s ? $"schema={s}" : null,
        r.Comment is { Length: > 0 } cm ? $"# {cm}" : null,
    }.Where(x => x is not null));

    private static Command RuleChange(ConsoleIo io, string verb)
    {
        var c = new Connection();
        var id = new Option<int>("--id") { Description = "rule_id (evaluation order)", Required = true };
        var active = new Option<bool?>("--active") { Description = "true or false (add: true)" };
        var username = new Option<string?>("--username");
        var schemaname = new Option<string?>("--schemaname");
        var flagIn = new Option<int?>("--flag-in");
        var matchDigest = new Option<string?>("--match-digest") { Description = "Regex searched in the digest text" };
        var matchPattern = new Option<string?>("--match-pattern") { Description = "Regex searched in the statement" };
        var negate = new Option<bool?>("--negate-match-pattern");
        var flagOut = new Option<int?>("--flag-out");
        var destination = new Option<int?>("--destination") { Description = "destination_hostgroup" };
        var cacheTtl = new Option<int?>("--cache-ttl");
        var timeout = new Option<int?>("--timeout");
        var retries = new Option<int?>("--retries");
        var mirror = new Option<int?>("--mirror-hostgroup");
        var multiplex = new Option<int?>("--multiplex");
        var log = new Option<bool?>("--log");
        var apply = new Option<bool?>("--apply") { Description = "true stops evaluation when the rule matches" };
        var comment = new Option<string?>("--comment");
        var command = new Command(verb, verb == "add" ? "Add a rule (validated, canary first, audited)." : "Change fields of a rule; the others keep their values.")
        {
            id, active, username, schemaname, flagIn, matchDigest, matchPattern, negate, flagOut, destination, cacheTtl, timeout, retries,
            mirror, multiplex, log, apply, comment, c.Topology,
        };
        c.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            var ruleId = parse.GetValue(id);
            var start = verb == "add"
                ? new ProxySqlQueryRule { RuleId = ruleId }
                : (await nodes[0].GetQueryRulesAsync(AdminLayer.Memory, ct)).FirstOrDefault(r => r.RuleId == ruleId);
            if (start is null)
            {
                io.Error.WriteLine($"--id: there is no rule {ruleId} to update.");
                return ExitCodes.InvalidInput;
            }
            T Pick<T>(Option<T?> o, T current) where T : struct => parse.GetResult(o) is null ? current : parse.GetValue(o) ?? current;
            T? PickNullable<T>(Option<T?> o, T? current) where T : struct => parse.GetResult(o) is null ? current : parse.GetValue(o);
            string? PickText(Option<string?> o, string? current) => parse.GetResult(o) is null ? current : NullIfEmpty(parse.GetValue(o));
            var rule = start with
            {
                Active = Pick(active, start.Active), Username = PickText(username, start.Username), Schemaname = PickText(schemaname, start.Schemaname),
                FlagIn = Pick(flagIn, start.FlagIn), MatchDigest = PickText(matchDigest, start.MatchDigest), MatchPattern = PickText(matchPattern, start.MatchPattern),
                NegateMatchPattern = Pick(negate, start.NegateMatchPattern), FlagOut = PickNullable(flagOut, start.FlagOut),
                DestinationHostgroup = PickNullable(destination, start.DestinationHostgroup), CacheTtl = PickNullable(cacheTtl, start.CacheTtl),
                Timeout = PickNullable(timeout, start.Timeout), Retries = PickNullable(retries, start.Retries), MirrorHostgroup = PickNullable(mirror, start.MirrorHostgroup),
                Multiplex = PickNullable(multiplex, start.Multiplex), Log = PickNullable(log, start.Log), Apply = Pick(apply, start.Apply),
                Comment = PickText(comment, start.Comment),
            };
            await using var services = await CommandServices.OpenAsync(ct);
            var ops = services.GetRequiredService<QueryRuleOperations>();
            var target = new RuleTarget(nodes, parse.GetValue(c.Topology));
            var outcome = verb == "add"
                ? await ops.AddAsync(target, rule, Actor.CommandLine(), ct)
                : await ops.UpdateAsync(target, rule, Actor.CommandLine(), ct);
            return Report(outcome, parse.GetValue(c.Json), io);
        });
        return command;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static Command RulesDelete(ConsoleIo io)
    {
        var c = new Connection();
        var id = new Argument<int>("ID") { Description = "rule_id" };
        var command = new Command("delete", "Delete a rule (canary first, audited).") { id, c.Topology };
        c.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            await using var services = await CommandServices.OpenAsync(ct);
            var ops = services.GetRequiredService<QueryRuleOperations>();
            return Report(await ops.DeleteAsync(new RuleTarget(nodes, parse.GetValue(c.Topology)), parse.GetValue(id), Actor.CommandLine(), ct),
                parse.GetValue(c.Json), io);
        });
        return command;
    }

    private static int Report(RuleChangeOutcome outcome, bool json, ConsoleIo io)
    {
        if (json)
            io.Out.WriteLine(JsonSerializer.Serialize(new
            {
                succeeded = outcome.Succeeded,
                problems = outcome.Problems.Select(p => new { field = p.Field, message = p.Message }),
                nodes = outcome.Rollout?.Nodes.Select(n => new { node = n.Node, state = n.State.ToString(), failedStep = n.Result?.FailedStep?.ToString(), message = n.Result?.Message, restored = n.Result?.Restored }),
                revision = outcome.Revision,
            }, Json));
        else
        {
            foreach (var p in outcome.Problems) io.Error.WriteLine(p);
            foreach (var n in outcome.Rollout?.Nodes ?? []) (n.State == NodeState.Applied ? io.Out : io.Error).WriteLine(n);
            if (outcome.Revision is { } r) io.Out.WriteLine($"stored as topology revision {r}");
        }
        return outcome.Problems.Count > 0 ? ExitCodes.InvalidInput : outcome.Succeeded ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static Command RulesTest(ConsoleIo io)
    {
        var c = new Connection();
        var sql = new Argument<string>("SQL") { Description = "The statement to route" };
        var user = new Option<string?>("--as-user") { Description = "Client user (its default_hostgroup applies when no rule decides)" };
        var schema = new Option<string?>("--schema") { Description = "Client schema" };
        var fallback = new Option<int?>("--default-hostgroup") { Description = "Default hostgroup when the user is not in mysql_users" };
        var command = new Command("test", "Show the digest, the rules a statement meets and the hostgroup it goes to (runtime rules).") { sql, user, schema, fallback };
        c.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            var node = nodes[0];
            var rules = await node.GetQueryRulesAsync(AdminLayer.Runtime, ct);
            var username = parse.GetValue(user);
            var users = await node.GetUsersAsync(AdminLayer.Runtime, ct);
            var defaultHostgroup = users.FirstOrDefault(u => u.Username == username)?.DefaultHostgroup ?? parse.GetValue(fallback) ?? 0;
            var decision = QueryRuleEvaluator.Evaluate(rules, new QueryContext(parse.GetValue(sql)!, username, parse.GetValue(schema)), defaultHostgroup);
            if (parse.GetValue(c.Json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(decision, Json));
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"digest: {decision.Digest}");
            foreach (var s in decision.Steps)
                io.Out.WriteLine($"  rule {s.RuleId} (flagIN {s.FlagIn}): {(s.Matched ? "MATCH" : "skip")} — {s.Reason}");
            io.Out.WriteLine(decision.DecidedByRuleId is { } by
                ? $"→ hostgroup {decision.Hostgroup} (rule {by})"
                : $"→ hostgroup {decision.Hostgroup} (no rule set one: the user's default hostgroup)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Servers(ConsoleIo io)
    {
        var servers = new Command("servers", "ProxySQL backends per hostgroup: list, take out of rotation, bring back.");
        var c = new Connection();
        var list = new Command("list", "Servers per hostgroup with status, weight and connection-pool figures (runtime).");
        c.AddTo(list);
        list.SetAction(async (parse, ct) =>
        {
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            var rows = await nodes[0].GetServersAsync(AdminLayer.Runtime, ct);
            var pool = await nodes[0].GetConnectionPoolAsync(ct);
            ConnectionPoolStat? Pool(ProxySqlServer s) => pool.FirstOrDefault(p => p.Hostgroup == s.HostgroupId && p.Host == s.Hostname && p.Port == s.Port);
            if (parse.GetValue(c.Json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(rows.Select(s => new { server = s, pool = Pool(s) }), Json));
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"{"hg",4} {"server",-24} {"status",-12} {"weight",7} {"maxconn",7} {"queries",9} {"used",5} {"free",5}  comment");
            foreach (var s in rows)
                io.Out.WriteLine($"{s.HostgroupId,4} {s.Hostname + ":" + s.Port,-24} {s.Status,-12} {s.Weight,7} {s.MaxConnections,7} {Pool(s)?.Queries ?? 0,9} {Pool(s)?.ConnUsed ?? 0,5} {Pool(s)?.ConnFree ?? 0,5}  {s.Comment}");
            return ExitCodes.Ok;
        });
        servers.Subcommands.Add(list);
        servers.Subcommands.Add(SetStatus(io, "offline", "Drain a server (OFFLINE_SOFT; --hard for OFFLINE_HARD) for maintenance."));
        servers.Subcommands.Add(SetStatus(io, "online", "Put a server back into rotation (ONLINE)."));
        servers.Subcommands.Add(ReadRoutingCommand(io));
        return servers;
    }

    private static Command ReadRoutingCommand(ConsoleIo io)
    {
        var c = new Connection();
        var fallback = new Option<bool?>("--fallback") { Description = "Keep the primary in the reader hostgroup at a low weight (true/false)" };
        var weight = new Option<int?>("--weight") { Description = "The primary's weight in the reader hostgroup (replicas: 1000)" };
        var writerIsAlsoReader = new Option<bool?>("--writer-is-also-reader") { Description = "mysql-monitor_writer_is_also_reader (true/false)" };
        var command = new Command("read-routing", "Show, or with options change, the read fallback and writer_is_also_reader (canary first, audited).")
        {
            fallback, weight, writerIsAlsoReader, c.Topology,
        };
        c.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            var current = await ReadRoutingOperations.ReadAsync(nodes[0], ct);
            var json = parse.GetValue(c.Json);
            if (parse.GetResult(fallback) is null && parse.GetResult(weight) is null && parse.GetResult(writerIsAlsoReader) is null)
            {
                io.Out.WriteLine(json ? JsonSerializer.Serialize(current, Json) : current.ToString());
                return ExitCodes.Ok;
            }
            var wanted = new ReadRouting(parse.GetValue(fallback) ?? current.ReadFallback, parse.GetValue(weight) ?? current.FallbackWeight,
                parse.GetValue(writerIsAlsoReader) ?? current.WriterIsAlsoReader);
            await using var services = await CommandServices.OpenAsync(ct);
            var outcome = await services.GetRequiredService<ReadRoutingOperations>()
                .ApplyAsync(new RuleTarget(nodes, parse.GetValue(c.Topology)), wanted, Actor.CommandLine(), ct);
            var problems = outcome.Problems.Select(p => p.Field switch { "fallbackWeight" => p with { Field = "--weight" }, "writerIsAlsoReader" => p with { Field = "--writer-is-also-reader" }, _ => p });
            return Report(new RuleChangeOutcome([.. problems], outcome.Rollout, outcome.Revision), json, io);
        });
        return command;
    }

    private static Command SetStatus(ConsoleIo io, string verb, string description)
    {
        var c = new Connection();
        var server = new Argument<string>("HOST:PORT") { Description = "The backend as in mysql_servers" };
        var hostgroup = new Option<int?>("--hostgroup") { Description = "Only in this hostgroup (default: every hostgroup it is in)" };
        var hard = new Option<bool>("--hard") { Description = "OFFLINE_HARD: close connections now" };
        var command = new Command(verb, description) { server, hostgroup };
        if (verb == "offline") command.Options.Add(hard);
        c.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var address = parse.GetValue(server)!;
            var colon = address.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                io.Error.WriteLine($"HOST:PORT: '{address}' is not host:port, e.g. 127.0.0.1:33062.");
                return ExitCodes.InvalidInput;
            }
            if (c.Nodes(parse, io) is not { } nodes) return ExitCodes.InvalidInput;
            var status = verb == "online" ? ServerStatus.Online : parse.GetValue(hard) ? ServerStatus.OfflineHard : ServerStatus.OfflineSoft;
            await using var services = await CommandServices.OpenAsync(ct);
            var rollout = await services.GetRequiredService<ServerOperations>()
                .SetStatusAsync(nodes, address[..colon], port, parse.GetValue(hostgroup), status, Actor.CommandLine(), ct);
            if (rollout is null)
            {
                io.Error.WriteLine($"HOST:PORT: {address} is not in mysql_servers{(parse.GetValue(hostgroup) is { } hg ? $" hostgroup {hg}" : "")}.");
                return ExitCodes.InvalidInput;
            }
            if (parse.GetValue(c.Json))
                io.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    succeeded = rollout.Succeeded, status,
                    nodes = rollout.Nodes.Select(n => new { node = n.Node, state = n.State.ToString(), failedStep = n.Result?.FailedStep?.ToString(), message = n.Result?.Message }),
                }, Json));
            else
                foreach (var n in rollout.Nodes) (n.State == NodeState.Applied ? io.Out : io.Error).WriteLine(n.State == NodeState.Applied ? $"{n.Node}: {address} {status}" : n.ToString());
            return rollout.Succeeded ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }
}
