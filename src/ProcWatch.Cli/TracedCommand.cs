using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Cli;

/// <summary>
/// The `-- COMMAND ARGS` child: started without a shell once the watch is live, with
/// procwatch's standard streams. Signals: SIGTERM and SIGHUP sent to procwatch are passed on
/// to the command; SIGINT and SIGQUIT are ignored while it runs, as a shell's system() does
/// (from a terminal the command receives them itself). <see cref="Exited"/> yields the
/// command's status the shell's way: its exit code, or 128 + the signal that killed it.
/// </summary>
internal sealed class TracedCommand : IDisposable
{
    /// <summary>The shell's codes for a command that could not be run.</summary>
    public const int NotFound = 127;
    public const int NotExecutable = 126;

    private readonly Process _process;
    private readonly List<PosixSignalRegistration> _signals = [];

    private TracedCommand(Process process)
    {
        _process = process;
        Pid = process.Id;
        Exited = WaitAsync(process);
        foreach (PosixSignal signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGTERM, PosixSignal.SIGHUP])
            _signals.Add(PosixSignalRegistration.Create(signal, Forward));
        foreach (PosixSignal signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGQUIT])
            _signals.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = true));
    }

    public int Pid { get; }

    public Task<int> Exited { get; }

    /// <exception cref="CommandStartException">The command could not be started (message is one line).</exception>
    /// <param name="stdoutToStderr">Start COMMAND with procwatch's standard error as its standard output (events own ours).</param>
    public static TracedCommand Start(IReadOnlyList<string> command, bool stdoutToStderr = false)
    {
        // What a shell says before it tries: an empty name is never found, a directory never runs.
        if (command[0].Length == 0)
            throw new CommandStartException(NotFound, "cannot run '': command not found");
        if (command[0].Contains('/', StringComparison.Ordinal) && Directory.Exists(command[0]))
            throw new CommandStartException(NotExecutable, $"cannot run {command[0]}: is a directory");
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        for (int i = 1; i < command.Count; i++)
            info.ArgumentList.Add(command[i]);
        // Process.Start hands the child our descriptors 0-2 as they are when it forks: fd 1 is
        // pointed at stderr for that moment only. Nothing writes our stdout yet (the consumer
        // starts after the command), and the saved copy is close-on-exec.
        int savedStdout = stdoutToStderr ? DupCloseOnExec(1) : -1;
        if (savedStdout >= 0)
            Libc.Dup2(2, 1);
        try
        {
            return new TracedCommand(Process.Start(info)!);
        }
        catch (Win32Exception ex)
        {
            bool denied = ex.NativeErrorCode == 13; // EACCES
            throw new CommandStartException(denied ? NotExecutable : NotFound,
                $"cannot run {command[0]}: {(denied ? "permission denied" : "command not found")}");
        }
        finally
        {
            if (savedStdout >= 0)
            {
                Libc.Dup2(savedStdout, 1);
                Libc.Close(savedStdout);
            }
        }
    }

    private static int DupCloseOnExec(int fd) => Libc.Fcntl(fd, Libc.F_DUPFD_CLOEXEC, 3);

    private static async Task<int> WaitAsync(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return process.ExitCode; // .NET reports death by signal N as 128 + N, like a shell
    }

    private void Forward(PosixSignalContext context)
    {
        context.Cancel = true;
        if (!Exited.IsCompleted)
            Libc.Kill(Pid, context.Signal == PosixSignal.SIGTERM ? SIGTERM : SIGHUP);
    }

    private const int SIGHUP = 1;
    private const int SIGTERM = 15;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _signals)
            registration.Dispose();
        _process.Dispose();
    }
}

/// <summary>COMMAND could not be started; <see cref="ExitCode"/> follows the shell (127 not found, 126 not executable).</summary>
internal sealed class CommandStartException : Exception
{
    public CommandStartException(int exitCode, string message) : base(message) => ExitCode = exitCode;
    public CommandStartException() { }
    public CommandStartException(string message) : base(message) { }
    public CommandStartException(string message, Exception inner) : base(message, inner) { }
    public int ExitCode { get; }
}
