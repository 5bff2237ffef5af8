using System.CommandLine;
using System.Text;

namespace ProcWatch.Cli.Manual;

/// <summary>The zsh completion function, written from the command tree (<c>procwatch __completions zsh</c>).</summary>
internal static class ZshCompletion
{
    public static string Write(Command root)
    {
        List<CatalogCommand> commands = CommandCatalog.Walk(root);
        var zsh = new StringBuilder();
        zsh.Append("#compdef procwatch\n");
        zsh.Append("# Written by `procwatch __completions zsh` from the definitions --help prints.\n\n");
        zsh.Append("_procwatch() {\n");
        zsh.Append("  local i candidate cmdpath= start=1\n");
        zsh.Append("  for (( i = 2; i < CURRENT; i++ )); do\n");
        zsh.Append("    if [[ ${words[i]} == -- ]]; then\n");
        zsh.Append("      # After --: the command to run, completed as its own command line.\n");
        zsh.Append("      shift $i words; (( CURRENT -= i )); _normal; return\n");
        zsh.Append("    fi\n");
        zsh.Append("    candidate=${cmdpath:+$cmdpath/}${words[i]}\n");
        zsh.Append("    case $candidate in\n");
        zsh.Append("      (").Append(string.Join('|', commands.Skip(1).Select(c => c.Path.Replace(' ', '/')))).Append(") cmdpath=$candidate; start=$i ;;\n");
        zsh.Append("    esac\n");
        zsh.Append("  done\n");
        zsh.Append("  if (( start > 1 )); then shift $(( start - 1 )) words; (( CURRENT -= start - 1 )); fi\n");
        zsh.Append("  case $cmdpath in\n");
        foreach (CatalogCommand c in commands)
        {
            zsh.Append("    (").Append(c.Path.Length == 0 ? "''" : c.Path.Replace(' ', '/')).Append(")\n");
            zsh.Append("      _arguments -s -S");
            foreach (Option option in c.Options)
                zsh.Append(" \\\n        ").Append(Spec(option));
            var subcommands = c.Subcommands.Select(s => s.Name).ToList();
            if (subcommands.Count > 0)
                zsh.Append(" \\\n        '1:command:(").Append(string.Join(' ', subcommands)).Append(")'");
            if (c.Path.Length > 0 && c.Command.Arguments.Count > 0)
                zsh.Append(" \\\n        '*:").Append(c.Command.Arguments[0].Name).Append(":_files'");
            zsh.Append("\n      ;;\n");
        }
        zsh.Append("  esac\n}\n\n");
        zsh.Append("_procwatch \"$@\"\n");
        return zsh.ToString();
    }

    /// <summary><c>'(-e --events)'{'-e','--events'}'[Event kinds]:LIST: '</c>; repeatable options start with *.</summary>
    private static string Spec(Option option)
    {
        List<string> names = CommandCatalog.Names(option);
        bool repeatable = option.ValueType.IsArray;
        var spec = new StringBuilder();
        if (repeatable)
            spec.Append("'*'");
        else if (names.Count > 1)
            spec.Append("'(").Append(string.Join(' ', names)).Append(")'");
        spec.Append(names.Count > 1 ? "{" + string.Join(',', names.Select(n => "'" + n + "'")) + "}" : "'" + names[0] + "'");
        spec.Append("'[").Append(Escape(CommandCatalog.Description(option))).Append(']');
        if (CommandCatalog.TakesValue(option))
        {
            spec.Append(':').Append(CommandCatalog.ValueName(option)).Append(':');
            List<string> values = CommandCatalog.ValueWords(option);
            if (values.Count > 0)
                spec.Append('(').Append(string.Join(' ', values)).Append(')');
            else if (CommandCatalog.TakesPath(option))
                spec.Append("_files");
            else
                spec.Append(' ');
        }
        return spec.Append('\'').ToString();
    }

    /// <summary>Inside '[...]' of a single-quoted spec: brackets and colons escaped, quotes closed and reopened.</summary>
    private static string Escape(string description) => description
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("[", "\\[", StringComparison.Ordinal)
        .Replace("]", "\\]", StringComparison.Ordinal)
        .Replace(":", "\\:", StringComparison.Ordinal)
        .Replace("'", "'\\''", StringComparison.Ordinal);
}
