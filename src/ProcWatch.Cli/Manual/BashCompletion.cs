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
        sh.Append("# bash completion for procwatch -*- shell-script -*-\n");
        sh.Append("# Written by `procwatch __completions bash` from the definitions --help prints.\n\n");
        sh.Append("_procwatch()\n{\n");
        sh.Append("    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path= word candidate i words\n");
        sh.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
        sh.Append("        word=${COMP_WORDS[i]}\n");
        sh.Append("        if [[ $word == -- ]]; then\n");
        sh.Append("            # After --: the command to run, then its arguments.\n");
        sh.Append("            if ((i == COMP_CWORD - 1)); then COMPREPLY=($(compgen -c -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n");
        sh.Append("            return\n");
        sh.Append("        fi\n");
        sh.Append("        candidate=${path:+$path/}$word\n");
        sh.Append("        case $candidate in\n");
        sh.Append("            ").Append(string.Join('|', commands.Skip(1).Select(c => c.Path.Replace(' ', '/')))).Append(") path=$candidate ;;\n");
        sh.Append("        esac\n");
        sh.Append("    done\n\n");
        sh.Append("    case $path in\n");
        foreach (CatalogCommand c in commands)
        {
            sh.Append("        ").Append(c.Path.Length == 0 ? "''" : c.Path.Replace(' ', '/')).Append(")\n");
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
        sh.Append("    esac\n");
        sh.Append("    COMPREPLY+=($(compgen -W \"$words\" -- \"$cur\"))\n");
        sh.Append("}\n");
        sh.Append("complete -o filenames -F _procwatch procwatch\n");
        return sh.ToString();
    }
}
