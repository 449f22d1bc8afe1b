using System.Reflection;
using HaPortal.Core.Docker;
using HaPortal.Core.Rendering;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// A scripted <see cref="IContainerEngine"/> for the executor's ordering: it records every call the executor makes,
/// answers readiness probes the way healthy containers do, and lets a test hold or fail an exec. It is a
/// <see cref="DispatchProxy"/>, so members added to the interface later need no change here (they throw if called).
/// Never a stand-in for the real engine: what the containers do is tested against Docker in the end-to-end tests.
/// </summary>
public class ScriptedEngine : DispatchProxy
{
    private readonly List<string> _calls = [];

    public static ScriptedEngine Create() => (ScriptedEngine)(object)Create<IContainerEngine, ScriptedEngine>();

    public IContainerEngine Engine => (IContainerEngine)(object)this;

    /// <summary>Runs before every exec: (container, command); a test awaits its own signal here to hold a probe.</summary>
    public Func<string, IReadOnlyList<string>, Task>? BeforeExec { get; set; }

    /// <summary>Every pull fails as a registry that does not know the image would.</summary>
    public bool FailPulls { get; set; }

    /// <summary>Bootstrap SQL (the heredoc execs) on this container fails with a server error.</summary>
    public string? FailSqlOn { get; set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls) return [.. _calls];
        }
    }

    public int IndexOf(string call) => Calls.ToList().IndexOf(call);

    public int LastIndexOf(string call) => Calls.ToList().LastIndexOf(call);

    /// <summary>Waits until the recorded calls satisfy <paramref name="done"/> (or the test is cancelled).</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<string>, bool> done, CancellationToken ct)
    {
        while (!done(Calls)) await Task.Delay(10, ct);
    }

    private void Record(string call)
    {
        lock (_calls) _calls.Add(call);
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        var a = args!;
        switch (method!.Name)
        {
            case nameof(IContainerEngine.PullImageAsync):
                Record($"pull {a[0]}");
                return FailPulls ? Task.FromException(new ContainerEngineException($"Could not pull image '{a[0]}': not found")) : Task.CompletedTask;
            case nameof(IContainerEngine.EnsureNetworkAsync):
                Record($"network {a[0]}");
                return Task.FromResult($"id-{a[0]}");
            case nameof(IContainerEngine.EnsureVolumeAsync):
                Record($"volume {a[0]}");
                return Task.CompletedTask;
            case nameof(IContainerEngine.CreateContainerAsync):
                var definition = (ContainerDefinition)a[0]!;
                Record($"create {definition.Name}");
                return Task.FromResult($"id-{definition.Name}");
            case nameof(IContainerEngine.ConnectNetworkAsync):
                Record($"connect {a[1]}");
                return Task.CompletedTask;
            case nameof(IContainerEngine.PutFilesAsync):
                Record($"files {a[0]}");
                return Task.CompletedTask;
            case nameof(IContainerEngine.StartContainerAsync):
                Record($"start {a[0]}");
                return Task.CompletedTask;
            case nameof(IContainerEngine.StopContainerAsync):
                Record($"stop {a[0]}");
                return Task.CompletedTask;
            case nameof(IContainerEngine.RemoveContainerAsync):
                Record($"remove {a[0]}");
                return Task.CompletedTask;
            case nameof(IContainerEngine.InspectHealthAsync):
                return Task.FromResult(new ContainerHealth("running", null, 0, 0, null));
            case nameof(IContainerEngine.ExecAsync):
                return ExecAsync((string)a[0]!, (IReadOnlyList<string>)a[1]!);
            default:
                throw new NotSupportedException($"The scripted engine does not do {method.Name}.");
        }
    }

    private async Task<ExecResult> ExecAsync(string container, IReadOnlyList<string> command)
    {
        if (BeforeExec is { } hold) await hold(container, command);
        var text = string.Join(' ', command);
        if (text.Contains("<<HAPORTAL_SQL", StringComparison.Ordinal))
        {
            if (container == FailSqlOn) return new ExecResult(1, "", "ERROR 1064 (42000): scripted failure");
            Record($"sql {container}");
            // A replica's start shares its exec with the first replication probe.
            return text.Contains("MASTER_GTID_WAIT", StringComparison.Ordinal) ? Replicating(container, text) : Ok("");
        }
        if (text.EndsWith("SELECT 1", StringComparison.Ordinal))
        {
            Record($"answers {container}");
            return Ok("1\n");
        }
        if (text.Contains("@@gtid_binlog_pos", StringComparison.Ordinal)) return Ok("0-1-3\n");
        if (text.Contains("MASTER_GTID_WAIT", StringComparison.Ordinal)) return Replicating(container, text);
        if (command[0] == "bash" && command.Count == 5)
        {
            if (command[4] == "/stats;csv")
            {
                // Fields 17 and 36 of HAProxy's CSV: status and last check, as a fresh HAProxy shows them after one
                // passed check.
                var rows = Enumerable.Range(1, 9).Select(i => $"{HaproxyRenderer.BackendName},web{i}{new string(',', 16)}UP 2/3{new string(',', 19)}L7OK,200");
                return Ok("HTTP/1.0 200 OK\r\n\r\n" + string.Join('\n', rows));
            }
            Record($"http ok {container}");
            return Ok("HTTP/1.0 200 OK\r\n\r\nok");
        }
        throw new NotSupportedException($"The scripted engine has no answer for '{text}'.");
    }

    private ExecResult Replicating(string container, string command)
    {
        if (!command.Contains("MASTER_GTID_WAIT('0-1-3'", StringComparison.Ordinal) || !command.Contains("SHOW SLAVE STATUS", StringComparison.Ordinal))
            throw new NotSupportedException($"The scripted engine has no answer for '{command}'.");
        Record($"replicating {container}");
        return Ok("*************************** 1. row ***************************\nPosition_Wait: 0\n" +
            "*************************** 1. row ***************************\nSlave_IO_Running: Yes\nSlave_SQL_Running: Yes\nSeconds_Behind_Master: 0\n");
    }

    private static ExecResult Ok(string stdout) => new(0, stdout, "");
}
