using System.CommandLine;
using System.Text;
using ProcWatch.Daemon.Configuration;

namespace ProcWatch.Cli.Manual;

/// <summary>procwatch(8), written from the command tree that parses the command line.</summary>
internal static class ProgramManPage
{
    public static string Write(Command root)
    {
        List<CatalogCommand> commands = CommandCatalog.Walk(root);
        var man = new StringBuilder();
        man.Append(Roff.Title("PROCWATCH", 8, "System Administration"));
        man.Append(".SH NAME\nprocwatch \\- ").Append(Roff.Text(Lowercase(After(root.Description ?? "", ": ")))).Append('\n');

        man.Append(".SH SYNOPSIS\n");
        foreach (CatalogCommand c in commands)
        {
            if (c.Command.Action is null)
                continue; // a group such as "fleet": its subcommands are the synopsis
            man.Append(".B procwatch");
            if (c.Path.Length > 0)
                man.Append(' ').Append(Roff.Text(c.Path));
            man.Append("\n[\\fIoptions\\fR]");
            foreach (Argument argument in c.Command.Arguments)
            {
                man.Append(c.Path.Length == 0
                    ? $" [\\fB\\-\\-\\fR {Roff.Italic(argument.Name)} [\\fIARGS\\fR...]]"
                    : $" {Roff.Italic(argument.Name)}" + (argument.Arity.MaximumNumberOfValues > 1 ? "..." : ""));
            }
            man.Append("\n.br\n");
        }

        man.Append(".SH DESCRIPTION\nWithout a subcommand, procwatch prints a live stream of process events: a table on a terminal, ")
           .Append("ECS JSON lines otherwise. Exact argv comes from eBPF when it loads (procwatch doctor says whether it does). ")
           .Append("The daemon subcommand is the service (see ").Append(Roff.Bold("procwatch.yaml")).Append("(5) for its configuration).\n");

        man.Append(".SH OPTIONS\n");
        WriteOptions(man, commands[0]);
        foreach (Argument argument in root.Arguments)
            man.Append(".TP\n").Append(Roff.Bold("--")).Append(' ').Append(Roff.Italic(argument.Name)).Append(" [\\fIARGS\\fR...]\n")
               .Append(Roff.Text(argument.Description ?? "")).Append('\n');

        man.Append(".SH COMMANDS\n");
        foreach (CatalogCommand c in commands.Skip(1))
        {
            man.Append(".SS \"procwatch ").Append(Roff.Text(c.Path));
            foreach (Argument argument in c.Command.Arguments)
                man.Append(' ').Append(Roff.Text(argument.Name));
            man.Append("\"\n").Append(Roff.Text(c.Command.Description ?? "")).Append('\n');
            foreach (Argument argument in c.Command.Arguments)
                man.Append(".TP\n").Append(Roff.Italic(argument.Name)).Append('\n').Append(Roff.Text(argument.Description ?? "")).Append('\n');
            WriteOptions(man, c);
        }

        man.Append(".SH EXIT STATUS\n");
        foreach ((int code, string meaning) in ExitStatus)
            man.Append(".TP\n.B ").Append(code).Append('\n').Append(Roff.Text(meaning)).Append('\n');

        man.Append(".SH FILES\n");
        foreach ((string path, string meaning) in Files)
            man.Append(".TP\n").Append(Roff.Italic(path)).Append('\n').Append(Roff.Text(meaning)).Append('\n');

        man.Append(".SH SEE ALSO\n").Append(Roff.Bold("procwatch.yaml")).Append("(5), ")
           .Append(Roff.Bold("systemctl")).Append("(1), ").Append(Roff.Bold("journalctl")).Append("(1)\n.PP\n")
           .Append(Roff.Text("/usr/share/doc/procwatch/README.md")).Append('\n');
        return man.ToString();
    }

    private static void WriteOptions(StringBuilder man, CatalogCommand command)
    {
        foreach (Option option in command.Options)
        {
            man.Append(".TP\n");
            List<string> names = CommandCatalog.Names(option);
            for (int i = 0; i < names.Count; i++)
                man.Append(i == 0 ? "" : ", ").Append(Roff.Bold(names[i]));
            if (CommandCatalog.TakesValue(option))
                man.Append(' ').Append(Roff.Italic(CommandCatalog.ValueName(option)));
            man.Append('\n').Append(Roff.Text(CommandCatalog.Description(option)));
            if (CommandCatalog.DefaultText(option) is { } value && !(option.Description ?? "").Contains("default", StringComparison.OrdinalIgnoreCase))
                man.Append(" (default: ").Append(Roff.Text(value)).Append(')');
            man.Append('\n');
        }
    }

    private static readonly (int Code, string Meaning)[] ExitStatus =
    [
        (ExitCodes.Success, "Success (with -- COMMAND: the command's own status)."),
        (ExitCodes.Failure, "A runtime failure the message explains."),
        (ExitCodes.Usage, "Bad command line."),
        (ExitCodes.NoPrivilege, "Not enough privilege for the requested backend."),
        (ExitCodes.Unsupported, "The kernel lacks the mechanism."),
        (ExitCodes.OutputFailed, "The output could not be written (disk full, I/O error)."),
        (ExitCodes.ConfigInvalid, "procwatch daemon: the configuration is invalid (the message names the file and line)."),
    ];

    private static readonly (string Path, string Meaning)[] Files =
    [
        ("/etc/procwatch/procwatch.yaml", "The daemon's configuration (procwatch.yaml(5))."),
        (OutputDefinition.DefaultPath, "The daemon's default output: ECS JSON lines, rotated."),
        (HealthSettings.DefaultSocket, "The daemon's status socket, read by procwatch status."),
    ];

    private static string After(string text, string separator)
    {
        int at = text.IndexOf(separator, StringComparison.Ordinal);
        return at < 0 ? text : text[(at + separator.Length)..];
    }

    private static string Lowercase(string text) => text.Length == 0 ? text : char.ToLowerInvariant(text[0]) + text[1..];
}
