using System.Globalization;
using ProcWatch.Filtering;
using ProcWatch.Rules;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

/// <summary>The rules: section (match, actions, rates) and the actions: settings.</summary>
internal static partial class ConfigLoader
{
    private sealed partial class Reader
    {
        private List<RuleDefinition> ReadRules(YamlNode node)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            return Items(node, "rules", item => ReadRule(item, names));
        }

        /// <summary>One rule; <paramref name="names"/> holds the names of the rules before it (a name is unique).</summary>
        private RuleDefinition ReadRule(YamlNode item, HashSet<string> names)
        {
            YamlMappingNode map = Mapping(item, "a rule");
            string? name = null;
            var severity = RuleSeverity.Medium;
            RuleMatch? match = null;
            List<RuleAction>? actions = null;
            YamlNode? actionsNode = null;
            bool killAnyProcess = false;
            RateLimit rate = new(60, TimeSpan.FromMinutes(1));
            foreach ((YamlNode keyNode, YamlNode value) in map.Children)
            {
                switch (Key(keyNode, ConfigSchema.Rule))
                {
                    case "name":
                        name = Scalar(value, "name");
                        if (!names.Add(name))
                            throw Error(value, $"a rule named '{name}' already exists");
                        break;
                    case "severity":
                        string severityName = Scalar(value, "severity");
                        if (!RuleSeverityNames.TryParse(severityName, out severity))
                            throw Error(value, $"unknown severity '{severityName}' (expected low, medium, high, critical)");
                        break;
                    case "match": match = ReadMatch(value); break;
                    case "actions": actions = ReadActions(value); actionsNode = value; break;
                    case "kill_any_process": killAnyProcess = Boolean(value, "kill_any_process"); break;
                    case "rate_limit": rate = ReadRate(value); break;
                    case string other:
                        throw Error(keyNode, ConfigSchema.Rule.UnknownKey(other));
                }
            }
            if (string.IsNullOrEmpty(name))
                throw Error(item, "a rule needs a name");
            RuleMatch matching = match ?? new RuleMatch();
            bool unrestricted = matching is { Executable: null, Name: null, Args: null, User: null, ParentExecutable: null, SelectsContainers: false };
            if (unrestricted && !killAnyProcess && actions is not null && actions.Exists(a => a is KillAction))
                throw Error(actionsNode!, $"rule '{name}' would SIGKILL every process (its match names no executable, name, args, user or parent); " +
                    "narrow the match, or add kill_any_process: true if that is really meant");
            return new RuleDefinition
            {
                Name = name,
                Severity = severity,
                Match = matching,
                Actions = actions ?? [new AlertAction()],
                ExecRateLimit = rate,
            };
        }

        private RuleMatch ReadMatch(YamlNode node)
        {
            var match = new RuleMatch();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "match").Children)
            {
                string key = Key(keyNode, ConfigSchema.Match);
                match = key switch
                {
                    "event" or "events" => match with { Events = ReadEvents(value, "match.event") },
                    "executable" => match with { Executable = NonEmpty(value, key) },
                    "name" => match with { Name = NonEmpty(value, key) },
                    "args" => match with { Args = Pattern(value) },
                    "user" => match with { User = KnownUser(value) },
                    "parent_executable" => match with { ParentExecutable = NonEmpty(value, key) },
                    "container" => match with { Container = NonEmpty(value, key) },
                    "image" => match with { Image = NonEmpty(value, key) },
                    "pod_namespace" => match with { PodNamespace = NonEmpty(value, key) },
                    "pod" => match with { Pod = NonEmpty(value, key) },
                    "container_entry" => match with { ContainerEntry = Boolean(value, key) },
                    _ => throw Error(keyNode, ConfigSchema.Match.UnknownKey(key)),
                };
            }
            return match;
        }

        private string Pattern(YamlNode node)
        {
            string text = NonEmpty(node, "args");
            try
            {
                TextPattern.Parse(text);
            }
            catch (ArgumentException ex)
            {
                throw Error(node, $"args: invalid regular expression: {OneLine(ex.Message)}");
            }
            return text;
        }

        private List<RuleAction> ReadActions(YamlNode node)
        {
            List<RuleAction> actions = Items(node, "actions", ReadAction);
            if (actions.Count == 0)
                throw Error(node, "actions is empty (leave it out for a plain alert)");
            return actions;
        }

        private RuleAction ReadAction(YamlNode item) => item switch
        {
            YamlScalarNode { Value: "alert" } => new AlertAction(),
            YamlScalarNode { Value: "kill" } => new KillAction(),
            YamlScalarNode { Value: "exec" } =>
                throw Error(item, "exec needs the program as a list: - exec: [\"/path/to/program\", \"arg\"]"),
            YamlScalarNode scalar =>
                throw Error(item, $"unknown action '{scalar.Value}' (expected alert, kill, exec: [program, args...])"),
            YamlMappingNode map when map.Children.Count == 1 && Key(map.Children[0].Key) == "exec" =>
                new ExecAction(ReadArgv(map.Children[0].Value)),
            _ => throw Error(item, "an action is alert, kill, or exec: [program, args...]"),
        };

        private List<string> ReadArgv(YamlNode node)
        {
            if (node is not YamlSequenceNode)
                throw Error(node, "exec takes a list, e.g. exec: [\"/usr/local/bin/notify\", \"--fast\"] (never a shell string)");
            var argv = new List<string>();
            foreach (YamlScalarNode item in ScalarList(node, "exec"))
                argv.Add(item.Value ?? "");
            if (argv.Count == 0)
                throw Error(node, "exec needs a program");
            if (!Path.IsPathFullyQualified(argv[0]))
                throw Error(node, $"exec: the program must be an absolute path, not '{argv[0]}'");
            if (!File.Exists(argv[0]))
                throw Error(node, $"exec: no such program {argv[0]}");
            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(argv[0]) & anyExecute) == 0)
                throw Error(node, $"exec: {argv[0]} is not executable (chmod +x it)");
            return argv;
        }

        private RateLimit ReadRate(YamlNode node)
        {
            string text = Scalar(node, "rate_limit");
            int slash = text.IndexOf('/', StringComparison.Ordinal);
            string countText = slash < 0 ? text : text[..slash];
            string unit = slash < 0 ? "minute" : text[(slash + 1)..].Trim();
            TimeSpan? period = unit switch
            {
                "s" or "sec" or "second" => TimeSpan.FromSeconds(1),
                "m" or "min" or "minute" => TimeSpan.FromMinutes(1),
                "h" or "hour" => TimeSpan.FromHours(1),
                _ => null,
            };
            if (!int.TryParse(countText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count) || period is null)
                throw Error(node, $"rate_limit '{text}' is not COUNT/UNIT, e.g. 10/minute (units: second, minute, hour)");
            return new RateLimit(count, period.Value);
        }

        private ActionRunnerOptions ReadActionSettings(YamlNode node)
        {
            var options = new ActionRunnerOptions();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "actions").Children)
            {
                string key = Key(keyNode, ConfigSchema.Actions);
                options = key switch
                {
                    "timeout" => options with { Timeout = Duration(value, "timeout", allowZero: false) },
                    "concurrency" => options with { Concurrency = Integer(value, key, 1, 64) },
                    "queue" => options with { QueueCapacity = Integer(value, key, 1, 1_000_000) },
                    _ => throw Error(keyNode, ConfigSchema.Actions.UnknownKey(key)),
                };
            }
            return options;
        }

        /// <summary>A user that does not exist would make the rule silently match nothing: a name must resolve (a number is taken as is).</summary>
        private string KnownUser(YamlNode node)
        {
            string user = NonEmpty(node, "user");
            if (!SettingValues.TryParseUser(user, out _, out string? error))
                throw Error(node, $"user: {error}");
            return user;
        }
    }
}
