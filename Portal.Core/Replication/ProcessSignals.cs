using System.Runtime.InteropServices;

namespace HaPortal.Core.Replication;

/// <summary>POSIX signals to a local process (Linux): stop, continue, kill. Used to fence a local database process.</summary>
public static class ProcessSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;
    private const int NoSuchProcess = 3; // ESRCH

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/>; returns false when the process does not exist, throws on other errors.</summary>
    public static bool Send(int pid, int signal)
    {
        if (Kill(pid, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == NoSuchProcess) return false;
        throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}.");
    }

    /// <summary>True when a process with this id exists and its command line contains <paramref name="programName"/> (guards against pid reuse).</summary>
    public static bool IsRunning(int pid, string programName)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // a zombie (state Z) has exited already
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return cmdline.Contains(programName, StringComparison.Ordinal) && state != "Z";
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
