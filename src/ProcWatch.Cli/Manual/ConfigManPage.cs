using System.Text;
using ProcWatch.Daemon.Configuration;

namespace ProcWatch.Cli.Manual;

/// <summary>procwatch.yaml(5), written from <see cref="ConfigSchema"/>: the keys the configuration reader accepts.</summary>
internal static class ConfigManPage
{
    public static string Write()
    {
        var man = new StringBuilder();
        man.Append(Roff.Title("PROCWATCH.YAML", 5, "File Formats"));
        man.Append(".SH NAME\nprocwatch.yaml \\- configuration of the procwatch daemon\n");
        man.Append(".SH SYNOPSIS\n").Append(Roff.Italic("/etc/procwatch/procwatch.yaml")).Append('\n');
        man.Append(".SH DESCRIPTION\n")
           .Append(Roff.Text("procwatch daemon --config FILE reads one YAML document. Every key is checked at start, at each SIGHUP " +
                             "and by procwatch daemon --check-config: an unknown key, a bad value or a missing program is one error line " +
                             "with the file and the line, and exit status 6. A missing key takes its default; an empty file is the defaults."))
           .Append("\n.PP\n")
           .Append(Roff.Text("SIZE is a number with an optional unit B, KB, MB, GB (1024-based); DURATION is a number with ms, s, m or h; " +
                             "GLOB matches with * and ?."))
           .Append('\n');
        foreach (ConfigSection section in ConfigSchema.All)
        {
            man.Append(".SH ").Append(Roff.Text(section.Title)).Append('\n');
            if (section.Path.Length > 0)
                man.Append("The keys of ").Append(Roff.Bold(section.Path)).Append(".\n");
            foreach (ConfigKey key in section.Keys)
            {
                man.Append(".TP\n").Append(Roff.Bold(key.Name + ":")).Append(' ').Append(Roff.Italic(key.Value)).Append('\n')
                   .Append(Roff.Text(key.Meaning));
                if (key.Aliases.Length > 0)
                    man.Append(" Also spelled ").Append(Roff.Bold(string.Join(", ", key.Aliases))).Append('.');
                man.Append('\n');
            }
        }
        man.Append(".SH EXAMPLE\nThe built-in default (what the daemon runs without \\-\\-config):\n.PP\n.nf\n.RS\n");
        foreach (string line in DefaultConfig.Yaml.Split('\n'))
            man.Append(Roff.Text(line)).Append('\n');
        man.Append(".RE\n.fi\n");
        man.Append(".SH SEE ALSO\n").Append(Roff.Bold("procwatch")).Append("(8)\n.PP\n")
           .Append(Roff.Text("/usr/share/doc/procwatch/README.md (every key with an example, rules, Sigma, ClickHouse)")).Append('\n');
        return man.ToString();
    }
}
