using System.CommandLine;
using System.Runtime.InteropServices;
using ProcWatch.Cli.Daemon;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>The `procwatch` executable: parse, dispatch, and turn every expected failure into one line and an exit code.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The BTF load's 11 MB transient comes on top of start-up's clean file pages: give those back first (issue 26's peak RSS).
        ProcWatch.Kernel.Ebpf.BtfLoadMemory.Enabled = true;
        RootCommand root = BuildCommand();
        ParseResult parsed = root.Parse(args);
        // `procwatch report --help` is help, not a missing <EVENTS>.
        if (parsed.Errors.Count > 0 && parsed.Action is not SubcommandHelp)
            return Fail(ParseErrorLine(parsed), ExitCodes.Usage);
        if (StrayCommandToken(parsed, args) is { } stray)
        {
            return Fail(OptionSuggestion.For(root, stray) is { } near
                ? $"unrecognized option '{stray}' (did you mean {near}? see procwatch --help)"
                : $"unrecognized argument '{stray}' (to run a command, put it after --; see procwatch --help)", ExitCodes.Usage);
        }
        if (IsBareSeparator(parsed, args))
            return Fail("-- must be followed by the COMMAND to run (see procwatch --help)", ExitCodes.Usage);

        using var cancel = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        // A closed terminal or `kill -HUP` stops a watch cleanly too: flush, exit 0. Not the
        // daemon's: there SIGHUP reloads.
        using PosixSignalRegistration? sighup = parsed.CommandResult.Command is RootCommand
            ? PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal)
            : null;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we exit ourselves, after unsubscribing and flushing
            cancel.Cancel();
        }

        try
        {
            // Our own signal handling and error lines: the library's would print stack traces.
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parsed.InvokeAsync(invocation, cancel.Token).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message, ExitCodes.Usage);
        }
        catch (ProcWatchException ex)
        {
            return Fail(ex.Message, ex.Kind switch
            {
                FailureKind.NoPrivilege => ExitCodes.NoPrivilege,
                FailureKind.KernelUnsupported or FailureKind.PlatformNotSupported => ExitCodes.Unsupported,
                FailureKind.UnsafeFile => ExitCodes.UnsafeFile,
                _ => ExitCodes.Failure,
            });
        }
        catch (ProcWatch.Files.UnsafeFileException ex)
        {
            return Fail(ex.Message, ExitCodes.UnsafeFile);
        }
        catch (OutputException ex)
        {
            return Fail(ex.Message, ExitCodes.OutputFailed);
        }
        catch (ConfigException ex)
        {
            return Fail(ex.Message, ExitCodes.ConfigInvalid);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug, not a user error: still one line, and an exit code scripts can test.
            return Fail($"internal error: {ex.GetType().Name}: {ex.Message}", ExitCodes.Failure);
        }
    }

    /// <summary>The first parse error as one line that points to the help of the command in use.</summary>
    private static string ParseErrorLine(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        string help = command is RootCommand ? "procwatch --help" : $"procwatch {SubcommandHelp.Path(command)} --help";
        foreach (string token in parsed.UnmatchedTokens)
        {
            if (token.StartsWith('-') && token != "-")
            {
                return OptionSuggestion.For(command, token) is { } near
                    ? $"unrecognized option '{token}' (did you mean {near}? see {help})"
                    : $"unrecognized option '{token}' (see {help})";
            }
        }
        foreach (Argument argument in command.Arguments)
        {
            if (argument.Arity.MinimumNumberOfValues > 0 && parsed.GetResult(argument) is null or { Tokens.Count: 0 })
                return $"{SubcommandHelp.Path(command)}: missing <{argument.Name}> (usage: {SubcommandHelp.Usage(command)}; see {help})";
        }
        return $"{parsed.Errors[0].Message} (see {help})";
    }

    /// <summary>
    /// COMMAND takes any token, so a mistyped option (`--bogus`) would be run as a program.
    /// Only what follows `--` is the command; anything else it caught is a usage error.
    /// </summary>
    internal static string? StrayCommandToken(ParseResult parsed, string[] args)
    {
        if (parsed.CommandResult.Command is not RootCommand)
            return null;
        string[] command = parsed.GetValue(CliOptions.Command) ?? [];
        int separator = Array.IndexOf(args, "--");
        int afterSeparator = separator < 0 ? 0 : args.Length - separator - 1;
        if (command.Length <= afterSeparator)
            return null;
        return command[0];
    }

    /// <summary>`procwatch --` with nothing after it would silently watch the whole system.</summary>
    internal static bool IsBareSeparator(ParseResult parsed, string[] args) =>
        parsed.CommandResult.Command is RootCommand
        && Array.IndexOf(args, "--") >= 0
        && (parsed.GetValue(CliOptions.Command) ?? []).Length == 0;

    private static int Fail(string message, int code)
    {
        ErrorLine.Write(message);
        return code;
    }

    internal static RootCommand BuildCommand()
    {
        var root = new RootCommand("procwatch: see every process start, fork, exit and credential change as it happens")
        {
            CliOptions.Events,
            CliOptions.Format,
            CliOptions.Output,
            CliOptions.Wide,
            CliOptions.Duration,
            CliOptions.Stats,
            CliOptions.BufferSize,
            CliOptions.QueueSize,
            CliOptions.Verbose,
            CliOptions.Realtime,
            CliOptions.Pid,
            CliOptions.User,
            CliOptions.Match,
            CliOptions.Container,
            CliOptions.Pod,
            CliOptions.ContainerRuntime,
            CliOptions.Sigma,
            CliOptions.Threads,
            CliOptions.Env,
            CliOptions.FullPath,
            CliOptions.NoArgs,
            CliOptions.Report,
            CliOptions.Command,
            CliOptions.Backend,
            CliOptions.ScanInterval,
            CliOptions.NoInotify,
            CliOptions.NoHash,
            CliOptions.HashMaxSize,
            CliOptions.Ancestors,
            DaemonCommand.Build(),
            StatusCommand.Build(),
            Report.ReportCommand.Build(),
            FleetCommand.Build(),
            Doctor.DoctorCommand.Build(),
            Sigma.SigmaCheckCommand.Build(),
        };
        foreach (Command hidden in Manual.ManualCommand.Build())
            root.Subcommands.Add(hidden);
        VersionAction.Attach(root);
        SubcommandHelp.AttachAll(root);
        root.SetAction((result, token) =>
            WatchCommand.RunAsync(WatchArgsParser.Parse(result, !Console.IsOutputRedirected), token));
        return root;
    }
}
