using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace HaPortal.Core.Topology;

/// <summary>The outcome of reading a topology file: the spec (when it could be read at all) and every problem found.</summary>
public sealed record TopologyParseResult(TopologySpec? Spec, ValidationReport Report)
{
    public bool IsValid => Spec is not null && Report.IsValid;
}

/// <summary>
/// The topology file format (see shared/examples/seed-stack.yaml): import reports every problem with its field path
/// and then runs <see cref="TopologyValidator"/>; export writes every field so that import(export(x)) == x.
/// </summary>
public static class TopologyYaml
{
    public static TopologyParseResult Parse(string yaml)
    {
        var problems = new List<ValidationProblem>();
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (YamlException e)
        {
            var where = e.Start.Line > 0 ? $"line {e.Start.Line}, column {e.Start.Column}" : "file";
            return new(null, new([new(where, $"Not valid YAML: {e.Message}")]));
        }

        if (root is not YamlMappingNode)
            return new(null, new([new("(file)", "The file is empty or not a mapping; start from shared/examples/seed-stack.yaml.")]));

        var spec = ReadSpec(new YamlFields(root, "", problems), problems);
        problems.AddRange(TopologyValidator.Validate(spec).Problems);
        return new(spec, new(problems));
    }

    private static TopologySpec ReadSpec(YamlFields f, List<ValidationProblem> problems)
    {
        var spec = new TopologySpec
        {
            Name = f.StringOr("name", ""),
            LoadBalancer = ReadLoadBalancer(f.Child("loadBalancer")),
            Web = ReadWeb(f.Child("web")),
            SqlRouter = f.Node("sqlRouter") is null ? null : ReadRouter(f.Child("sqlRouter")),
            Database = ReadDatabase(f.Child("database"), problems),
            Deploy = ReadDeploy(f.Child("deploy")),
        };
        f.RejectUnknown();
        return spec;
    }

    private static DeploySpec ReadDeploy(YamlFields f)
    {
        var deploy = new DeploySpec { Target = f.Enum("target", DeployTarget.Docker) };
        f.RejectUnknown();
        return deploy;
    }

    private static LoadBalancerSpec ReadLoadBalancer(YamlFields f)
    {
        var d = new LoadBalancerSpec();
        var sticky = f.Child("stickySessions");
        var hc = f.Child("healthCheck");
        var stats = f.Child("stats");
        var mode = sticky.Enum("mode", d.StickySessions.Mode);
        var lb = new LoadBalancerSpec
        {
            Kind = f.StringOr("kind", d.Kind),
            PublishPort = f.Int("publishPort", d.PublishPort),
            Balance = f.Enum("balance", d.Balance),
            StickySessions = new()
            {
                Enabled = sticky.Bool("enabled", d.StickySessions.Enabled),
                Cookie = sticky.StringOr("cookie", d.StickySessions.Cookie),
                Mode = mode,
                // HAProxy refuses indirect with rewrite, so a file that only says "rewrite" means without it.
                Indirect = sticky.Bool("indirect", mode != StickyMode.Rewrite),
                NoCache = sticky.Bool("nocache", d.StickySessions.NoCache),
            },
            HealthCheck = new()
            {
                Path = hc.StringOr("path", d.HealthCheck.Path),
                IntervalMs = hc.Int("intervalMs", d.HealthCheck.IntervalMs),
                Rise = hc.Int("rise", d.HealthCheck.Rise),
                Fall = hc.Int("fall", d.HealthCheck.Fall),
                ExpectStatus = hc.Int("expectStatus", d.HealthCheck.ExpectStatus),
            },
            Stats = new()
            {
                Enabled = stats.Bool("enabled", d.Stats.Enabled),
                PublishPort = stats.Int("publishPort", d.Stats.PublishPort),
            },
        };
        sticky.RejectUnknown();
        hc.RejectUnknown();
        stats.RejectUnknown();
        f.RejectUnknown();
        return lb;
    }

    private static WebTierSpec ReadWeb(YamlFields f)
    {
        var nodes = f.List("nodes").Select(n =>
        {
            var node = new WebNodeSpec { Name = n.StringOr("name", ""), Weight = n.Int("weight", 100), State = n.Enum("state", WebNodeState.Ready) };
            n.RejectUnknown();
            return node;
        }).ToImmutableArray();
        var readYourWrites = f.Int("readYourWritesSeconds", 0);
        f.RejectUnknown();
        return new() { Nodes = nodes, ReadYourWritesSeconds = readYourWrites };
    }

    private static SqlRouterSpec ReadRouter(YamlFields f)
    {
        var d = new SqlRouterSpec();
        var hg = f.Child("hostgroups");
        var fallback = f.Child("readFallback");
        var router = new SqlRouterSpec
        {
            Kind = f.StringOr("kind", d.Kind),
            Nodes = f.List("nodes").Select(n =>
            {
                var node = new RouterNodeSpec { Name = n.StringOr("name", "") };
                n.RejectUnknown();
                return node;
            }).ToImmutableArray(),
            VirtualIp = f.String("virtualIp"),
            Hostgroups = new() { Writer = hg.Int("writer", d.Hostgroups.Writer), Reader = hg.Int("reader", d.Hostgroups.Reader) },
            QueryRules = f.List("queryRules").Select(ReadRule).ToImmutableArray(),
            ReadFallback = new()
            {
                Enabled = fallback.Bool("enabled", d.ReadFallback.Enabled),
                Weight = fallback.Int("weight", d.ReadFallback.Weight),
            },
            WriterIsAlsoReader = f.Bool("writerIsAlsoReader", d.WriterIsAlsoReader),
        };
        hg.RejectUnknown();
        fallback.RejectUnknown();
        f.RejectUnknown();
        return router;
    }

    private static QueryRuleSpec ReadRule(YamlFields r)
    {
        var rule = new QueryRuleSpec
        {
            Id = r.Int("id", 0),
            Active = r.Bool("active", true),
            Username = r.String("username"),
            Schemaname = r.String("schemaname"),
            FlagIn = r.Int("flagIn", 0),
            MatchDigest = r.String("matchDigest"),
            MatchPattern = r.String("matchPattern"),
            NegateMatchPattern = r.Bool("negateMatchPattern", false),
            FlagOut = r.IntOrNull("flagOut"),
            Destination = r.String("destination"),
            Apply = r.Bool("apply", false),
            Comment = r.String("comment"),
        };
        r.RejectUnknown();
        return rule;
    }

    private static DatabaseSpec ReadDatabase(YamlFields f, List<ValidationProblem> problems)
    {
        var d = new DatabaseSpec();
        DbNodeSpec? primary = null;
        if (f.Node("primary") is YamlSequenceNode)
        {
            // A list here is the one way a file can name several primaries; say so plainly.
            var list = f.List("primary").Select(ReadDbNode).ToList();
            if (list.Count == 1) primary = list[0];
            else if (list.Count > 1)
                problems.Add(new(f.At("primary"),
                    $"Exactly one primary is allowed, found {list.Count} ({string.Join(", ", list.Select(n => n.Name))}); move the others to replicas."));
        }
        else if (f.Node("primary") is not null)
        {
            primary = ReadDbNode(f.Child("primary"));
        }

        var db = new DatabaseSpec
        {
            Flavor = f.Enum("flavor", d.Flavor),
            Version = f.StringOr("version", d.Version),
            Primary = primary,
            Replicas = f.List("replicas").Select(ReadDbNode).ToImmutableArray(),
            SemiSync = f.Bool("semiSync", d.SemiSync),
            AppSchema = f.StringOr("appSchema", d.AppSchema),
            AppUser = f.StringOr("appUser", d.AppUser),
            AutoFailover = ReadAutoFailover(f.Child("autoFailover")),
        };
        f.RejectUnknown();
        return db;
    }

    private static AutoFailoverSpec ReadAutoFailover(YamlFields a)
    {
        var d = new AutoFailoverSpec();
        var spec = new AutoFailoverSpec
        {
            Enabled = a.Bool("enabled", d.Enabled),
            Checks = a.Int("checks", d.Checks),
            IntervalMs = a.Int("intervalMs", d.IntervalMs),
            AntiFlapWindowSeconds = a.Int("antiFlapWindowSeconds", d.AntiFlapWindowSeconds),
        };
        a.RejectUnknown();
        return spec;
    }

    private static DbNodeSpec ReadDbNode(YamlFields n)
    {
        var node = new DbNodeSpec { Name = n.StringOr("name", ""), Priority = n.Int("priority", 0) };
        n.RejectUnknown();
        return node;
    }

    /// <summary>Writes every field, defaults included, so the file documents the whole topology.</summary>
    public static string Serialize(TopologySpec spec)
    {
        var lb = spec.LoadBalancer;
        var doc = new Dictionary<string, object?>
        {
            ["name"] = spec.Name,
            ["loadBalancer"] = new Dictionary<string, object?>
            {
                ["kind"] = lb.Kind,
                ["publishPort"] = lb.PublishPort,
                ["balance"] = Lower(lb.Balance),
                ["stickySessions"] = new Dictionary<string, object?>
                {
                    ["enabled"] = lb.StickySessions.Enabled,
                    ["cookie"] = lb.StickySessions.Cookie,
                    ["mode"] = Lower(lb.StickySessions.Mode),
                    ["indirect"] = lb.StickySessions.Indirect,
                    ["nocache"] = lb.StickySessions.NoCache,
                },
                ["healthCheck"] = new Dictionary<string, object?>
                {
                    ["path"] = lb.HealthCheck.Path,
                    ["intervalMs"] = lb.HealthCheck.IntervalMs,
                    ["rise"] = lb.HealthCheck.Rise,
                    ["fall"] = lb.HealthCheck.Fall,
                    ["expectStatus"] = lb.HealthCheck.ExpectStatus,
                },
                ["stats"] = new Dictionary<string, object?> { ["enabled"] = lb.Stats.Enabled, ["publishPort"] = lb.Stats.PublishPort },
            },
            ["web"] = new Dictionary<string, object?>
            {
                ["nodes"] = spec.Web.Nodes.Select(n => new Dictionary<string, object?> { ["name"] = n.Name, ["weight"] = n.Weight, ["state"] = Lower(n.State) }).ToList(),
                ["readYourWritesSeconds"] = spec.Web.ReadYourWritesSeconds,
            },
        };
        if (spec.SqlRouter is { } r)
        {
            doc["sqlRouter"] = new Dictionary<string, object?>
            {
                ["kind"] = r.Kind,
                ["nodes"] = r.Nodes.Select(n => new Dictionary<string, object?> { ["name"] = n.Name }).ToList(),
                ["virtualIp"] = r.VirtualIp,
                ["hostgroups"] = new Dictionary<string, object?> { ["writer"] = r.Hostgroups.Writer, ["reader"] = r.Hostgroups.Reader },
                ["queryRules"] = r.QueryRules.Select(RuleFields).ToList(),
                ["readFallback"] = new Dictionary<string, object?> { ["enabled"] = r.ReadFallback.Enabled, ["weight"] = r.ReadFallback.Weight },
                ["writerIsAlsoReader"] = r.WriterIsAlsoReader,
            };
        }
        var db = spec.Database;
        var database = new Dictionary<string, object?>
        {
            ["flavor"] = Lower(db.Flavor),
            ["version"] = db.Version,
        };
        if (db.Primary is not null) database["primary"] = NodeFields(db.Primary);
        database["replicas"] = db.Replicas.Select(NodeFields).ToList();
        database["semiSync"] = db.SemiSync;
        database["appSchema"] = db.AppSchema;
        database["appUser"] = db.AppUser;
        database["autoFailover"] = new Dictionary<string, object?>
        {
            ["enabled"] = db.AutoFailover.Enabled,
            ["checks"] = db.AutoFailover.Checks,
            ["intervalMs"] = db.AutoFailover.IntervalMs,
            ["antiFlapWindowSeconds"] = db.AutoFailover.AntiFlapWindowSeconds,
        };
        doc["database"] = database;
        doc["deploy"] = new Dictionary<string, object?> { ["target"] = Lower(spec.Deploy.Target) };

        return Serializer.Serialize(doc);
    }

    private static Dictionary<string, object?> RuleFields(QueryRuleSpec q)
    {
        var d = new Dictionary<string, object?> { ["id"] = q.Id, ["active"] = q.Active };
        // Optional ProxySQL columns are written only when set, to keep files as short as the seed example.
        if (q.Username is not null) d["username"] = q.Username;
        if (q.Schemaname is not null) d["schemaname"] = q.Schemaname;
        if (q.FlagIn != 0) d["flagIn"] = q.FlagIn;
        if (q.MatchDigest is not null) d["matchDigest"] = q.MatchDigest;
        if (q.MatchPattern is not null) d["matchPattern"] = q.MatchPattern;
        if (q.NegateMatchPattern) d["negateMatchPattern"] = true;
        if (q.FlagOut is not null) d["flagOut"] = q.FlagOut;
        if (q.Destination is not null) d["destination"] = q.Destination;
        d["apply"] = q.Apply;
        if (q.Comment is not null) d["comment"] = q.Comment;
        return d;
    }

    private static Dictionary<string, object?> NodeFields(DbNodeSpec n)
    {
        var d = new Dictionary<string, object?> { ["name"] = n.Name };
        if (n.Priority != 0) d["priority"] = n.Priority;
        return d;
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .Build();
}
