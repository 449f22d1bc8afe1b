using System.Diagnostics;
using System.Net;
using HaPortal.Core.Haproxy;
using HaPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HaPortal.Tests.Haproxy;

/// <summary>
/// A real HAProxy in master-worker mode in front of two real HTTP backends (in-process Kestrel on loopback, each
/// answering with its own name), on free ports, in a temp folder. One per test, so runtime changes never leak between
/// tests; starting it takes a fraction of a second. Ready when both servers pass their HTTP health check.
/// </summary>
public sealed class HaproxyStack : IAsyncDisposable
{
    private readonly List<WebApplication> _backends = [];
    private readonly System.Text.StringBuilder _haproxyOutput = new();
    private Process? _haproxy;

    private HaproxyStack(string folder) => Folder = folder;

    public string Folder { get; }
    public string Binary { get; private set; } = "";
    public string ConfigPath => Path.Combine(Folder, "haproxy.cfg");
    public string AdminSocket => Path.Combine(Folder, "admin.sock");
    public HaproxyEndpoint MasterSocket => HaproxyEndpoint.Unix(Path.Combine(Folder, "master.sock"));
    public int FrontendPort { get; private set; }
    public int AdminTcpPort { get; private set; }
    public Uri FrontendUrl => new($"http://127.0.0.1:{FrontendPort}/");
    public IReadOnlyDictionary<string, int> BackendPorts { get; private set; } = new Dictionary<string, int>();
    public IHaproxyRuntime Runtime { get; private set; } = null!;
    public IHaproxyRuntime TcpRuntime { get; private set; } = null!;

    /// <summary>Held requests to /hold wait on this until a test releases them (a long-lived session).</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public const string Backend = "web";

    public static async Task<HaproxyStack> StartAsync(CancellationToken ct, params string[] backendNames)
    {
        var binary = Prerequisite.RequireExecutable("haproxy");
        var stack = new HaproxyStack(Directory.CreateTempSubdirectory("hx-").FullName) { Binary = binary };
        try
        {
            var ports = new Dictionary<string, int>();
            foreach (var name in backendNames.Length > 0 ? backendNames : ["web1", "web2"])
                ports[name] = await stack.StartBackendAsync(name, ct);
            // A spare backend the tests add at runtime; not in the config.
            ports["web3"] = await stack.StartBackendAsync("web3", ct);
            stack.BackendPorts = ports;
            stack.FrontendPort = FreePort.Next();
            stack.AdminTcpPort = FreePort.Next();
            await File.WriteAllTextAsync(stack.ConfigPath, stack.Config(), ct);
            stack.StartHaproxy();
            stack.Runtime = new HaproxyRuntime(HaproxyEndpoint.Unix(stack.AdminSocket), TimeProvider.System);
            stack.TcpRuntime = new HaproxyRuntime(HaproxyEndpoint.Tcp("127.0.0.1", stack.AdminTcpPort), TimeProvider.System);
            await stack.WaitUntilAsync(async () =>
            {
                var server = await stack.Runtime.ListBackendsAsync(ct);
                return server.Single(b => b.Name == Backend).Servers.All(s => s is { Status: "UP", CheckStatus: "L7OK" });
            }, "both servers UP after a passing health check", ct);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>The config the stack starts with; <paramref name="balance"/> and <paramref name="cookie"/> vary it for reload tests.</summary>
    public string Config(string balance = "roundrobin", string cookie = "SERVERID") => $"""
        global
            stats socket {AdminSocket} mode 600 level admin expose-fd listeners
            stats socket ipv4@127.0.0.1:{AdminTcpPort} level admin
        defaults
            mode http
            # Without it the old worker closes idle keep-alive connections at a reload, racing clients' next request.
            option idle-close-on-response
            timeout connect 2s
            timeout client 30s
            timeout server 30s
        frontend fe
            bind 127.0.0.1:{FrontendPort}
            default_backend {Backend}
        backend {Backend}
            balance {balance}
            cookie {cookie} insert indirect nocache
            option httpchk GET /health
        {string.Join("\n", BackendPorts.Where(p => p.Key != "web3").Select(p =>
            $"    server {p.Key} 127.0.0.1:{p.Value} check inter 500 rise 1 fall 2 cookie {p.Key} weight 100"))}

        """;

    public string HaproxyOutput
    {
        get { lock (_haproxyOutput) return _haproxyOutput.ToString(); }
    }

    public HaproxyReloader Reloader(TimeProvider? time = null) =>
        new(new HaproxyReloadSettings(Binary, ConfigPath, MasterSocket), time ?? TimeProvider.System);

    /// <summary>A client without cookie handling or connection reuse across tests; the test sets cookies itself.</summary>
    public HttpClient Client() => new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = FrontendUrl, Timeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>Waits for a condition with a bounded poll: no timing assertion, only a ceiling on how long to look.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct, int seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        Exception? last = null;
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HaproxyUnreachableException or IOException or HttpRequestException)
            {
                last = e; // HAProxy still starting
            }
            if (_haproxy is { HasExited: true })
                throw new InvalidOperationException($"haproxy exited with {_haproxy.ExitCode}: {HaproxyOutput}");
            await Task.Delay(50, ct);
        }
        throw new TimeoutException($"Not within {seconds} s: {what}. {last?.Message}");
    }

    private async Task<int> StartBackendAsync(string name, CancellationToken ct)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/", () => Results.Text($"backend {name}"));
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapGet("/hold", async () =>
        {
            await Release.Task;
            return Results.Text($"backend {name}");
        });
        await app.StartAsync(ct);
        _backends.Add(app);
        return port;
    }

    private void StartHaproxy()
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = Folder,
        };
        foreach (var arg in new[] { "-W", "-S", MasterSocket.UnixPath!, "-f", ConfigPath, "-p", Path.Combine(Folder, "haproxy.pid") })
            info.ArgumentList.Add(arg);
        _haproxy = Process.Start(info)!;
        // Drain the pipes so HAProxy never blocks on a full one (each reload logs); kept for failure messages.
        DataReceivedEventHandler keep = (_, e) => { lock (_haproxyOutput) _haproxyOutput.AppendLine(e.Data); };
        _haproxy.OutputDataReceived += keep;
        _haproxy.ErrorDataReceived += keep;
        _haproxy.BeginOutputReadLine();
        _haproxy.BeginErrorReadLine();
    }

    public async ValueTask DisposeAsync()
    {
        Release.TrySetResult();
        if (_haproxy is { HasExited: false })
        {
            _haproxy.Kill(entireProcessTree: true);
            await _haproxy.WaitForExitAsync();
        }
        _haproxy?.Dispose();
        foreach (var app in _backends) await app.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
