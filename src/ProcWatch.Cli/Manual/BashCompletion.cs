using System.CommandLine;
using System.Text;

namespace ProcWatch.Cli.Manual;

/// <summary>The bash completion script, written from the command tree (<c>procwatch __completions bash</c>).</summary>
internal static class BashCompletion
{
    public static string Write(Command root)
    {
        List<CatalogCommand> commands = CommandCatalog.Walk(root);
        var sh = new StringBuilder();
        // The words before the cursor lead to a command path ("fleet/schema"); after "--"
        // come the command to run and its arguments.
        sh.Append($$"""
            # bash completion for procwatch -*- shell-script -*-
            # Written by `procwatch __completions bash` from the definitions --help prints.

            _procwatch()
            {
                local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path= word candidate i words
                for ((i = 1; i < COMP_CWORD; i++)); do
                    word=${COMP_WORDS[i]}
                    if [[ $word == -- ]]; then
                        # After --: the command to run, then its arguments.
                        if ((i == COMP_CWORD - 1)); then COMPREPLY=($(compgen -c -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
                        return
                    fi
                    candidate=${path:+$path/}$word
                    case $candidate in
                        {{CommandCatalog.SubcommandPaths(commands)}}) path=$candidate ;;
                    esac
                done

                case $path in

            """);
        foreach (CatalogCommand c in commands)
        {
            sh.Append("        ").Append(CommandCatalog.CaseLabel(c)).Append(")\n");
            sh.Append("            case $prev in\n");
            foreach (Option option in c.Options)
            {
                if (!CommandCatalog.TakesValue(option))
                    continue;
                sh.Append("                ").Append(string.Join('|', CommandCatalog.Names(option))).Append(") ");
                List<string> values = CommandCatalog.ValueWords(option);
                if (values.Count > 0)
                    sh.Append("COMPREPLY=($(compgen -W \"").Append(string.Join(' ', values)).Append("\" -- \"$cur\")); ");
                else if (CommandCatalog.TakesPath(option))
                    sh.Append("COMPREPLY=($(compgen -f -- \"$cur\")); ");
                sh.Append("return ;;\n");
            }
            sh.Append("            esac\n");
            IEnumerable<string> words = c.Options.SelectMany(CommandCatalog.Names).Concat(c.Subcommands.Select(s => s.Name));
            sh.Append("            words=\"").Append(string.Join(' ', words)).Append("\"\n");
            if (c.Path.Length > 0 && c.Command.Arguments.Count > 0)
                sh.Append("            [[ $cur == -* ]] || COMPREPLY=($(compgen -f -- \"$cur\"))\n");
            sh.Append("            ;;\n");
        }
        sh.Append("""
                esac
                COMPREPLY+=($(compgen -W "$words" -- "$cur"))
            }
            complete -o filenames -F _procwatch procwatch

            """);
        return sh.ToString();
    }
}
