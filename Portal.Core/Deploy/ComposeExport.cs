using System.Collections.Immutable;
using HaPortal.Core.Docker;
using HaPortal.Core.Topology;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HaPortal.Core.Deploy;

/// <summary>One file of an exported compose project, relative to its directory.</summary>
public sealed record ComposeFile(string RelativePath, string Content, UnixFileMode Mode);

/// <summary>
/// A <see cref="DesiredStack"/> as a docker-compose project (file format 2.4, what Debian's
/// docker-compose 1.29 accepts): one service per node with the same names, labels, network, volumes
/// and published ports as the Docker deploy; config files written next to the yml and mounted
/// read-only; the databases bootstrap themselves from an init file (the image's entrypoint runs
/// /etc/haportal/init.d/*.sql on the first start), because compose cannot exec the portal's steps.
/// Secrets are never in the yml: it refers to <c>${HAPORTAL_*_PASSWORD}</c>, and the values live in
/// <c>.env</c> (mode 0600), which docker-compose reads from the project directory.
/// </summary>
public static class ComposeExport
{
    public const string ComposeFileName = "docker-compose.yml";
    public const string EnvFileName = ".env";
    public const string InitFileName = "01-haportal-bootstrap.sql";

    /// <summary>Read after the rendered my.cnf (mariadb.conf.d is read in name order), so it wins.</summary>
    public const string PrimaryCnfPath = "/etc/mysql/mariadb.conf.d/zz-haportal-compose-primary.cnf";

    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Why this topology cannot be exported, field first: what the Docker deploy refuses, and a SQL router, which
    /// <c>apply</c> deploys but a compose project does not yet (its proxysql.cnf and keepalived.conf hold passwords
    /// that would sit in plain files beside the yml).
    /// </summary>
    public static ImmutableArray<string> Unsupported(TopologySpec spec) =>
        RouterStack.HasRouter(spec)
            ? DesiredStackBuilder.Unsupported(spec).Add("sqlRouter: export --compose does not write the ProxySQL tier yet; deploy it with apply, or remove sqlRouter to export.")
            : DesiredStackBuilder.Unsupported(spec);

    /// <summary>The files of the project: <c>docker-compose.yml</c>, <c>.env</c> and <c>config/&lt;node&gt;/…</c>.</summary>
    public static ImmutableArray<ComposeFile> Build(DesiredStack stack, StackSecrets secrets)
    {
        var files = ImmutableArray.CreateBuilder<ComposeFile>();
        var services = new YamlMappingNode();
        foreach (var c in stack.Containers.OrderBy(c => c.Tier).ThenBy(c => c.Node, StringComparer.Ordinal))
            services.Add(c.Node, Service(stack, c, secrets, files));

        var networks = new YamlMappingNode();
        foreach (var name in stack.Networks)
            networks.Add(name, new YamlMappingNode
            {
                { "name", Str(name) },
                { "driver", Str("bridge") },
                { "labels", Map(DesiredStackBuilder.NetworkLabels(stack.Topology)) },
            });
        var volumes = new YamlMappingNode();
        foreach (var v in stack.Volumes)
            volumes.Add(v.Name, new YamlMappingNode
            {
                { "name", Str(v.Name) },
                { "labels", Map(DesiredStackBuilder.VolumeLabels(stack.Topology, v.Node)) },
            });

        var root = new YamlMappingNode
        {
            { "version", Str("2.4") },
            { "services", services },
            { "networks", networks },
        };
        if (volumes.Children.Count > 0) root.Add("volumes", volumes);

        var header = $"# docker-compose project of topology '{stack.Topology}', exported by HaPortal (export --compose).\n" +
                     "# Secrets come from .env next to this file (mode 0600). Start: docker-compose -p <project> up -d\n";
        files.Insert(0, new ComposeFile(ComposeFileName, header + Yaml(root), Readable));
        files.Insert(1, new ComposeFile(EnvFileName, Env(secrets), OwnerOnly));
        return files.ToImmutable();
    }

    /// <summary>Writes the project into <paramref name="directory"/>; <c>.env</c> is created with mode 0600 before any secret is written.</summary>
    public static async Task WriteAsync(string directory, string composeFileName, ImmutableArray<ComposeFile> files, CancellationToken ct)
    {
        foreach (var file in files)
        {
            var name = file.RelativePath == ComposeFileName ? composeFileName : file.RelativePath;
            var path = Path.Combine(directory, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = file.Mode;
            await using (var stream = new FileStream(path, options))
            await using (var writer = new StreamWriter(stream))
                await writer.WriteAsync(file.Content.AsMemory(), ct).ConfigureAwait(false);
            // An existing file keeps its old mode on FileMode.Create: set it explicitly.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, file.Mode);
        }
    }

    /// <summary>The secrets of an earlier export's <c>.env</c>, so exporting again keeps the passwords existing data volumes were made with.</summary>
    public static StackSecrets? ReadEnv(string envFile)
    {
        if (!File.Exists(envFile)) return null;
        var values = File.ReadAllLines(envFile)
            .Select(l => l.Split('=', 2))
            .Where(kv => kv.Length == 2 && !kv[0].StartsWith('#'))
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim());
        return StackSecrets.FromEnvironment(values);
    }

    private static YamlMappingNode Service(DesiredStack stack, DesiredContainer c, StackSecrets secrets, ImmutableArray<ComposeFile>.Builder files)
    {
        var d = c.Definition;
        var service = new YamlMappingNode
        {
            { "image", Str(d.Image) },
            { "container_name", Str(d.Name) },
            { "hostname", Str(d.Hostname) },
            { "restart", Str("unless-stopped") },
            { "labels", Map(d.Labels) },
        };

        var env = new YamlMappingNode();
        foreach (var (key, value) in d.Environment) env.Add(key, Str(value.Replace("$", "$$", StringComparison.Ordinal)));
        foreach (var (key, value) in d.SecretEnvironment) env.Add(key, Str(SecretReferences(value, secrets)));
        if (env.Children.Count > 0) service.Add("environment", env);

        var mounts = new YamlSequenceNode();
        foreach (var v in d.Volumes) mounts.Add(Str($"{v.Volume}:{v.ContainerPath}"));
        var configFiles = c.Files.ToList();
        if (c.Role == NodeRole.Primary)
        {
            configFiles.Add(new ContainerFile($"{BootstrapSql.InitDirectory}/{InitFileName}", BootstrapSql.Primary(stack.Spec, BootstrapSql.InitFileVariable)));
            // Every database boots read-only (its my.cnf names no role); the Docker deploy opens the primary after its
            // bootstrap. A compose project has no portal to do that, so the primary's role is fixed in a later file.
            configFiles.Add(new ContainerFile(PrimaryCnfPath, "[mariadbd]\nread_only = OFF\n"));
        }
        else if (c.Role == NodeRole.Replica)
            configFiles.Add(new ContainerFile($"{BootstrapSql.InitDirectory}/{InitFileName}", BootstrapSql.Replica(stack.Spec, BootstrapSql.InitFileVariable)));
        foreach (var file in configFiles)
        {
            var relative = $"config/{c.Node}/{Path.GetFileName(file.Path)}";
            files.Add(new ComposeFile(relative, file.Content, Readable));
            mounts.Add(Str($"./{relative}:{file.Path}:ro"));
        }
        if (mounts.Children.Count > 0) service.Add("volumes", mounts);

        if (!d.Ports.IsEmpty)
            service.Add("ports", new YamlSequenceNode(d.Ports.Select(p => Str($"{p.HostAddress}:{p.HostPort}:{p.ContainerPort}"))));
        var serviceNetworks = new YamlMappingNode
        {
            { d.Network, new YamlMappingNode { { "aliases", new YamlSequenceNode(d.NetworkAliases.Select(Str)) } } },
        };
        if (c.SqlAliases is { } sqlAliases)
            serviceNetworks.Add(stack.SqlNetwork, sqlAliases.IsEmpty
                ? new YamlMappingNode()
                : new YamlMappingNode { { "aliases", new YamlSequenceNode(sqlAliases.Select(Str)) } });
        service.Add("networks", serviceNetworks);
        if (!d.CapAdd.IsEmpty) service.Add("cap_add", new YamlSequenceNode(d.CapAdd.Select(Str)));
        if (d.Command is { } command) service.Add("command", new YamlSequenceNode(command.Select(a => Str(a.Replace("$", "$$", StringComparison.Ordinal)))));

        // The Docker deploy's order; readiness itself is the images' health checks and the nodes' retries.
        var dependsOn = DependsOn(stack, c.Tier);
        if (!dependsOn.IsEmpty) service.Add("depends_on", new YamlSequenceNode(dependsOn.Select(Str)));
        return service;
    }

    /// <summary>Replicas and routers need the primary, web nodes the routers (else the primary), the load balancer the web nodes.</summary>
    private static ImmutableArray<string> DependsOn(DesiredStack stack, DeployTier tier)
    {
        DeployTier[] before = tier switch
        {
            DeployTier.Replicas or DeployTier.Router => [DeployTier.Primary],
            DeployTier.Web => stack.Containers.Any(c => c.Tier == DeployTier.Router) ? [DeployTier.Router] : [DeployTier.Primary],
            DeployTier.LoadBalancer => [DeployTier.Web],
            _ => [],
        };
        return [.. stack.Containers.Where(c => before.Contains(c.Tier)).Select(c => c.Node).Order(StringComparer.Ordinal)];
    }

    /// <summary>Every secret value becomes a reference to its variable; a value that would stay is a bug, never written.</summary>
    private static string SecretReferences(string value, StackSecrets secrets)
    {
        var result = value.Replace("$", "$$", StringComparison.Ordinal);
        foreach (var (variable, secret) in Pairs(secrets))
            result = result.Replace(secret, "${" + variable + "}", StringComparison.Ordinal);
        return result;
    }

    private static IEnumerable<(string Variable, string Value)> Pairs(StackSecrets s) =>
        s.ToVariables().Select(kv => (kv.Key, kv.Value));

    private static string Env(StackSecrets secrets) =>
        "# Secrets of this compose project: keep this file private (mode 0600).\n" +
        string.Concat(Pairs(secrets).Select(p => $"{p.Variable}={p.Value}\n"));

    private static YamlScalarNode Str(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };

    private static YamlMappingNode Map(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var map = new YamlMappingNode();
        foreach (var (k, v) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal)) map.Add(k, Str(v.Replace("$", "$$", StringComparison.Ordinal)));
        return map;
    }

    private static string Yaml(YamlNode root)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        // YamlStream ends a document with "...": valid YAML, but noise in a compose file.
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }
}
