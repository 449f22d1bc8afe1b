using System.Diagnostics;
using System.Reflection;
using HaPortal.Core.Docker;
using HaPortal.Core.Haproxy;
using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.Haproxy;

/// <summary>
/// The held CLI conversation of a deployed load balancer, against a real HAProxy: the same bash relay runs here as a
/// local process instead of an exec in a container (<see cref="LocalExecEngine"/>), so the protocol, reloads and
/// closed connections are HAProxy's own. The path through Docker is the deployed web-node test's.
/// </summary>
public sealed class ContainerCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (ContainerCli Cli, HaproxyRuntime Runtime, LocalExecEngine Engine) Connect(HaproxyStack stack)
    {
        var engine = LocalExecEngine.Create();
        var endpoint = HaproxyEndpoint.InContainer("this-machine", "127.0.0.1", stack.AdminTcpPort);
        var cli = new ContainerCli(engine.Engine, endpoint);
        return (cli, new HaproxyRuntime(endpoint, TimeProvider.System, cli.SendAsync), engine);
    }

    [Fact]
    public async Task OneConversation_ServesEveryCommand_WithTheRepliesAOneShotConnectionGives()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var (cli, runtime, engine) = Connect(stack);
        await using var _ = cli;

        await runtime.SetWeightAsync("web", "web1", 37, Ct);
        var held = (await runtime.ListBackendsAsync(Ct)).Single(b => b.Name == "web");
        var oneShot = (await stack.TcpRuntime.ListBackendsAsync(Ct)).Single(b => b.Name == "web");

        Assert.Equal(37, held.Servers.Single(s => s.Name == "web1").Weight);
        Assert.Equal(oneShot.Servers.Select(s => (s.Name, s.Weight, s.Status)), held.Servers.Select(s => (s.Name, s.Weight, s.Status)));
        var refused = await Assert.ThrowsAsync<HaproxyCommandException>(() => runtime.SetWeightAsync("web", "nope", 1, Ct));
        Assert.Contains("No such server", refused.Reply);
        Assert.Equal(1, engine.Started);
    }

    [Fact]
    public async Task AfterAReload_TheStoppingWorkerIsLeft_AndTheCommandReachesTheNewOne()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var (cli, runtime, engine) = Connect(stack);
        await using var _ = cli;
        var reloader = stack.Reloader();
        var before = (await reloader.ShowProcAsync(Ct)).CurrentWorker;
        Assert.NotEmpty(await runtime.ListBackendsAsync(Ct));

        // The reload's config sets a weight the old worker does not have: whoever answers shows which worker it is.
        var reloaded = await reloader.ApplyAsync(stack.Config().Replace("weight 100", "weight 42", StringComparison.Ordinal), Ct);
        Assert.True(reloaded.Installed, reloaded.Error);
        Assert.NotEqual(before, reloaded.WorkerPid);

        var server = await runtime.GetServerAsync("web", "web1", Ct);
        Assert.Equal(42, server!.Weight);
        Assert.Equal(2, engine.Started);
    }

    [Fact]
    public async Task NothingListening_IsUnreachable_NamingWhereItLooked()
    {
        var engine = LocalExecEngine.Create();
        var endpoint = HaproxyEndpoint.InContainer("this-machine", "127.0.0.1", FreePort.Next());
        await using var cli = new ContainerCli(engine.Engine, endpoint);

        var e = await Assert.ThrowsAsync<HaproxyUnreachableException>(() => cli.SendAsync("show info", Ct));

        Assert.Contains($"nothing listens at 127.0.0.1:{endpoint.Port} inside the container", e.Message);
    }

    [Fact]
    public async Task AConnectionHaproxyClosed_IsReplacedBeforeTheCommandIsWritten()
    {
        await using var stack = await HaproxyStack.StartAsync(Ct);
        var (cli, runtime, engine) = Connect(stack);
        await using var _ = cli;
        Assert.NotEmpty(await runtime.ListBackendsAsync(Ct));

        // HAProxy ends the held CLI session (as its stats timeout would after 30 s idle).
        var admin = HaproxyEndpoint.Unix(stack.AdminSocket);
        var held = (await HaproxyCli.SendAsync(admin, "show sess", Ct)).Split('\n')
            .Single(l => l.Contains("fe=GLOBAL", StringComparison.Ordinal) && l.Contains("src=127.0.0.1:", StringComparison.Ordinal));
        await HaproxyCli.SendAsync(admin, $"shutdown session {held.Split(':')[0]}", Ct);

        await runtime.SetWeightAsync("web", "web2", 55, Ct);

        Assert.Equal(55, (await stack.Runtime.GetServerAsync("web", "web2", Ct))!.Weight);
        Assert.Equal(2, engine.Started);
    }
}

/// <summary>
/// An <see cref="IContainerEngine"/> whose only member is <see cref="IContainerEngine.StartConversationAsync"/>, run
/// as a local process (the "container" is this machine). Everything else throws.
/// </summary>
public class LocalExecEngine : DispatchProxy
{
    private readonly List<Process> _processes = [];

    public static LocalExecEngine Create() => (LocalExecEngine)(object)Create<IContainerEngine, LocalExecEngine>();

    public IContainerEngine Engine => (IContainerEngine)(object)this;

    public int Started
    {
        get
        {
            lock (_processes) return _processes.Count;
        }
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name != nameof(IContainerEngine.StartConversationAsync))
            throw new NotSupportedException($"{method.Name} is not part of this engine.");
        var command = (IReadOnlyList<string>)args![1]!;
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        lock (_processes) _processes.Add(process);
        return Task.FromResult<IExecConversation>(new ProcessConversation(process));
    }

    private sealed class ProcessConversation(Process process) : IExecConversation
    {
        private readonly Task<string> _errors = process.StandardError.ReadToEndAsync();

        public string Errors => _errors.IsCompleted ? _errors.Result : "";

        public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            await process.StandardInput.BaseStream.WriteAsync(data, ct);
            await process.StandardInput.BaseStream.FlushAsync(ct);
        }

        public async Task<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
        {
            var n = await process.StandardOutput.BaseStream.ReadAsync(buffer, ct);
            // Its stderr is complete once its stdout ended: the reason is there for the caller.
            if (n == 0) await _errors.WaitAsync(TimeSpan.FromSeconds(5), ct);
            return n;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It ended already.
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
        }
    }
}
