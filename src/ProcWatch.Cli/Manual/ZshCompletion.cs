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
        // The words before the cursor lead to a command path ("fleet/schema"), which is shifted
        // off so that _arguments sees that command's words; after "--" comes a command line.
        zsh.Append($$"""
            #compdef procwatch
            # Written by `procwatch __completions zsh` from the definitions --help prints.

            _procwatch() {
              local i candidate cmdpath= start=1
              for (( i = 2; i < CURRENT; i++ )); do
                if [[ ${words[i]} == -- ]]; then
                  # After --: the command to run, completed as its own command line.
                  shift $i words; (( CURRENT -= i )); _normal; return
                fi
                candidate=${cmdpath:+$cmdpath/}${words[i]}
                case $candidate in
                  ({{CommandCatalog.SubcommandPaths(commands)}}) cmdpath=$candidate; start=$i ;;
                esac
              done
              if (( start > 1 )); then shift $(( start - 1 )) words; (( CURRENT -= start - 1 )); fi
              case $cmdpath in

            """);
        foreach (CatalogCommand c in commands)
        {
            zsh.Append("    (").Append(CommandCatalog.CaseLabel(c)).Append(")\n");
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
