using ProcWatch.Rules;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

internal static partial class ConfigLoader
{
    private sealed partial class Reader
    {
        /// <summary><c>sigma:</c> — paths, or <c>{path, actions, rate_limit}</c> mappings. The rules themselves load at start (and on SIGHUP).</summary>
        private List<SigmaSource> ReadSigma(YamlNode node) => Items(node, "sigma", ReadSigmaSource);

        private SigmaSource ReadSigmaSource(YamlNode item)
        {
            if (item is YamlScalarNode)
                return new SigmaSource { Path = SigmaPath(item) };
            YamlMappingNode map = Mapping(item, "a sigma entry (a path, or path/actions/rate_limit)");
            string? path = null;
            List<RuleAction>? actions = null;
            RateLimit rate = new(60, TimeSpan.FromMinutes(1));
            foreach ((YamlNode keyNode, YamlNode value) in map.Children)
            {
                switch (Key(keyNode, ConfigSchema.Sigma))
                {
                    case "path": path = SigmaPath(value); break;
                    case "actions": actions = ReadActions(value); break;
                    case "rate_limit": rate = ReadRate(value); break;
                    case string other:
                        throw Error(keyNode, ConfigSchema.Sigma.UnknownKey(other));
                }
            }
            if (path is null)
                throw Error(item, "a sigma entry needs a path");
            return new SigmaSource { Path = path, Actions = actions ?? [new AlertAction()], ExecRateLimit = rate };
        }

        /// <summary><c>filters:</c> — files or directories of Sigma filter documents (local false positives).</summary>
        private List<string> ReadSigmaFilters(YamlNode node) => Items(node, "filters", SigmaPath);

        private string SigmaPath(YamlNode node)
        {
            string path = NonEmpty(node, "a Sigma path");
            if (!File.Exists(path) && !Directory.Exists(path))
                throw Error(node, $"no such Sigma file or directory {path}");
            return path;
        }
    }
}
