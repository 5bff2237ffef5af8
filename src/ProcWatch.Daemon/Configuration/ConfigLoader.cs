using System.Globalization;
using System.Net;
using ProcWatch.Events;
using ProcWatch.Output.Sinks;
using ProcWatch.Rules;
using ProcWatch.Watching;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

/// <summary>
/// Reads the YAML configuration into a <see cref="DaemonConfig"/> and validates all of it
/// (patterns compiled, programs present, addresses loopback). Uses YamlDotNet's parser and
/// node model only (no reflection, NativeAOT-safe), so every problem is reported with the
/// line it is on. Unknown keys are errors: a typo must not silently disable a rule.
/// </summary>
internal static partial class ConfigLoader
{
    /// <exception cref="ConfigException">The file is unreadable or invalid.</exception>
    public static DaemonConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, 0, $"cannot read: {ex.Message}");
        }
        return Parse(text, path);
    }

    /// <exception cref="ConfigException">The text is invalid.</exception>
    public static DaemonConfig Parse(string text, string source) => new Reader(source).Read(text);

    private sealed partial class Reader(string source)
    {
        public DaemonConfig Read(string text)
        {
            RefuseControlCharacters(text);
            var stream = new YamlStream();
            var parser = new Parser(new StringReader(text));
            try
            {
                stream.Load(parser);
            }
            catch (YamlException ex)
            {
                throw new ConfigException(source, Math.Max(1, ex.Start.Line), YamlProblem(ex));
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                // YamlDotNet gives up without a YamlException on some broken structure (an unclosed
                // [ or { before more keys, "- : x", content after '...'): still one line, with where it stopped.
                long line = Math.Max(1, parser.Current?.End.Line ?? 1);
                throw new ConfigException(source, line,
                    "invalid YAML: cannot make out the structure here (an unclosed [ or {, a key with no name, a stray '---' or '...'?)");
            }
            var config = new DaemonConfig { Source = source };
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
                return config;
            if (stream.Documents.Count > 1)
                throw Error(stream.Documents[1].RootNode, "only one YAML document is allowed");
            YamlMappingNode root = Mapping(stream.Documents[0].RootNode, "the configuration");
            foreach ((YamlNode keyNode, YamlNode value) in root.Children)
            {
                string key = Key(keyNode);
                config = ReadTopLevel(config, key, keyNode, value);
            }
            return config;
        }

        private DaemonConfig ReadTopLevel(DaemonConfig config, string key, YamlNode keyNode, YamlNode value)
        {
            try
            {
                return key switch
                {
                    "events" => config with { Events = ReadEvents(value, "events") },
                    "backend" => config with { Backend = ReadBackend(value) },
                    "outputs" => config with { Outputs = ReadOutputs(value) },
                    "rules" => config with { Rules = ReadRules(value) },
                    "actions" => config with { Actions = ReadActionSettings(value) },
                    "health" => config with { Health = ReadHealth(value) },
                    "sigma" => config with { Sigma = ReadSigma(value) },
                    "filters" => config with { SigmaFilters = ReadSigmaFilters(value) },
                    "hash" => config with { Hash = config.Hash with { Enabled = Boolean(value, key) } },
                    "hash_max_size" => config with { Hash = config.Hash with { MaxBytes = HashMaxSize(value) } },
                    "ancestors" => config with { Ancestors = Integer(value, key, 0, 64) },
                    _ => throw Error(keyNode, $"unknown key '{key}' (expected backend, events, outputs, rules, sigma, filters, actions, health, hash, hash_max_size, ancestors)"),
                };
            }
            catch (Exception ex) when (ex is not ConfigException and not OutOfMemoryException)
            {
                // A value no check above foresaw: still a config error (exit 6) at its section, not an internal error.
                throw Error(keyNode, $"{key}: {OneLine(ex.Message)}");
            }
        }

        /// <summary>YAML allows no C0/C1 control characters but tab and line breaks; YamlDotNet lets some through.</summary>
        private void RefuseControlCharacters(string text)
        {
            int line = 1;
            foreach (char c in text)
            {
                if (c == '\n')
                    line++;
                else if ((c < ' ' && c is not '\t' and not '\r') || (c >= '\u007f' && c <= '\u009f' && c != '\u0085'))
                    throw new ConfigException(source, line, $"invalid YAML: control character U+{(int)c:X4} is not allowed");
            }
        }

        private ProcessEventKinds ReadEvents(YamlNode node, string what)
        {
            var kinds = ProcessEventKinds.None;
            foreach (YamlScalarNode item in ScalarList(node, what))
            {
                foreach (string name in item.Value!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!ProcessEventKindNames.TryParse(name, out ProcessEventKinds kind))
                        throw Error(item, $"unknown event '{name}' in {what} (expected fork, exec, exit, clone, comm, uid, gid, sid, ptrace, core, all)");
                    kinds |= kind;
                }
            }
            if (kinds == ProcessEventKinds.None)
                throw Error(node, $"{what} names no event");
            return kinds;
        }

        private Backend ReadBackend(YamlNode node) => Scalar(node, "backend") switch
        {
            "auto" => Backend.Auto,
            "connector" => Backend.Connector,
            "ebpf" => Backend.Ebpf,
            "procfs" => Backend.Procfs,
            string other => throw Error(node, $"unknown backend '{other}' (expected auto, connector, ebpf, procfs)"),
        };

        private List<OutputDefinition> ReadOutputs(YamlNode node)
        {
            var outputs = new List<OutputDefinition>();
            var files = new HashSet<string>(StringComparer.Ordinal);
            foreach (YamlNode item in Sequence(node, "outputs").Children)
            {
                YamlMappingNode map = Mapping(item, "an output");
                if (IsClickHouse(map))
                {
                    outputs.Add(ReadClickHouse(map, item));
                    continue;
                }
                OutputType? type = null;
                string? path = null;
                long maxBytes = 100L * 1024 * 1024;
                int keep = 10;
                int facility = 3;
                YamlNode? facilityNode = null, sizeNode = null;
                foreach ((YamlNode keyNode, YamlNode value) in map.Children)
                {
                    switch (Key(keyNode))
                    {
                        case "type":
                            type = Scalar(value, "type") switch
                            {
                                "file" => OutputType.File,
                                "stdout" => OutputType.Stdout,
                                "syslog" => OutputType.Syslog,
                                "journald" => OutputType.Journald,
                                string other => throw Error(value, $"unknown output type '{other}' (expected file, stdout, syslog, journald, clickhouse)"),
                            };
                            break;
                        case "path": path = NonEmpty(value, "path"); break;
                        case "max_size": maxBytes = Size(value); sizeNode = value; break;
                        case "keep": keep = Integer(value, "keep", 0, 1000); break;
                        case "facility":
                            facilityNode = value;
                            if (!SyslogSink.TryParseFacility(Scalar(value, "facility"), out facility))
                                throw Error(value, $"unknown syslog facility '{Scalar(value, "facility")}' (expected e.g. daemon, auth, authpriv, local0..local7)");
                            break;
                        case string other:
                            throw Error(keyNode, $"unknown key '{other}' in an output (expected type, path, max_size, keep, facility)");
                    }
                }
                if (type is null)
                    throw Error(item, "an output needs a type (file, stdout, syslog, journald)");
                if (facilityNode is not null && type != OutputType.Syslog)
                    throw Error(facilityNode, "facility is for syslog outputs only");
                if (sizeNode is not null && type != OutputType.File)
                    throw Error(sizeNode, "max_size is for file outputs only");
                if (type == OutputType.File)
                {
                    path ??= OutputDefinition.DefaultPath;
                    if (!files.Add(Path.GetFullPath(path)))
                        throw Error(item, $"the file {path} is already an output");
                }
                if (type == OutputType.Stdout && path is not null)
                    throw Error(item, "a stdout output takes no path");
                if (path is not null && !Path.IsPathFullyQualified(path))
                    throw Error(item, $"path must be absolute, not '{path}' (the daemon runs in /, so a relative path would depend on how it was started)");
                outputs.Add(new OutputDefinition
                {
                    Type = type.Value,
                    Path = path ?? (type == OutputType.Syslog ? "/dev/log" : type == OutputType.Journald ? JournaldSink.DefaultSocket : null),
                    MaxBytes = maxBytes,
                    Keep = keep,
                    Facility = facility,
                });
            }
            if (outputs.Count == 0)
                throw Error(node, "outputs is empty: name at least one (or leave the key out for the default file)");
            return outputs;
        }

        private List<RuleDefinition> ReadRules(YamlNode node)
        {
            var rules = new List<RuleDefinition>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (YamlNode item in Sequence(node, "rules").Children)
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
                    switch (Key(keyNode))
                    {
                        case "name":
                            name = Scalar(value, "name");
                            if (!names.Add(name))
                                throw Error(value, $"a rule named '{name}' already exists");
                            break;
                        case "severity":
                            if (!RuleSeverityNames.TryParse(Scalar(value, "severity"), out severity))
                                throw Error(value, $"unknown severity '{Scalar(value, "severity")}' (expected low, medium, high, critical)");
                            break;
                        case "match": match = ReadMatch(value); break;
                        case "actions": actions = ReadActions(value); actionsNode = value; break;
                        case "kill_any_process": killAnyProcess = Boolean(value, "kill_any_process"); break;
                        case "rate_limit": rate = ReadRate(value); break;
                        case string other:
                            throw Error(keyNode, $"unknown key '{other}' in a rule (expected name, severity, match, actions, rate_limit, kill_any_process)");
                    }
                }
                if (string.IsNullOrEmpty(name))
                    throw Error(item, "a rule needs a name");
                RuleMatch matching = match ?? new RuleMatch();
                bool unrestricted = matching is { Executable: null, Name: null, Args: null, User: null, ParentExecutable: null };
                if (unrestricted && !killAnyProcess && actions is not null && actions.Exists(a => a is KillAction))
                    throw Error(actionsNode!, $"rule '{name}' would SIGKILL every process (its match names no executable, name, args, user or parent); " +
                        "narrow the match, or add kill_any_process: true if that is really meant");
                var rule = new RuleDefinition
                {
                    Name = name,
                    Severity = severity,
                    Match = match ?? new RuleMatch(),
                    Actions = actions ?? [new AlertAction()],
                    ExecRateLimit = rate,
                };
                rules.Add(rule);
            }
            return rules;
        }

        private RuleMatch ReadMatch(YamlNode node)
        {
            var match = new RuleMatch();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "match").Children)
            {
                string key = Key(keyNode);
                match = key switch
                {
                    "event" or "events" => match with { Events = ReadEvents(value, "match.event") },
                    "executable" => match with { Executable = NonEmpty(value, key) },
                    "name" => match with { Name = NonEmpty(value, key) },
                    "args" => match with { Args = Pattern(value) },
                    "user" => match with { User = KnownUser(value) },
                    "parent_executable" => match with { ParentExecutable = NonEmpty(value, key) },
                    _ => throw Error(keyNode, $"unknown key '{key}' in match (expected event, executable, name, args, user, parent_executable)"),
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
            var actions = new List<RuleAction>();
            foreach (YamlNode item in Sequence(node, "actions").Children)
            {
                switch (item)
                {
                    case YamlScalarNode { Value: "alert" }: actions.Add(new AlertAction()); break;
                    case YamlScalarNode { Value: "kill" }: actions.Add(new KillAction()); break;
                    case YamlScalarNode { Value: "exec" }:
                        throw Error(item, "exec needs the program as a list: - exec: [\"/path/to/program\", \"arg\"]");
                    case YamlScalarNode scalar:
                        throw Error(item, $"unknown action '{scalar.Value}' (expected alert, kill, exec: [program, args...])");
                    case YamlMappingNode map:
                        if (map.Children.Count != 1 || Key(map.Children[0].Key) != "exec")
                            throw Error(item, "an action is alert, kill, or exec: [program, args...]");
                        actions.Add(new ExecAction(ReadArgv(map.Children[0].Value)));
                        break;
                    default:
                        throw Error(item, "an action is alert, kill, or exec: [program, args...]");
                }
            }
            if (actions.Count == 0)
                throw Error(node, "actions is empty (leave it out for a plain alert)");
            return actions;
        }

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
                string key = Key(keyNode);
                options = key switch
                {
                    "timeout" => options with { Timeout = Duration(value, "timeout", allowZero: false) },
                    "concurrency" => options with { Concurrency = Integer(value, key, 1, 64) },
                    "queue" => options with { QueueCapacity = Integer(value, key, 1, 1_000_000) },
                    _ => throw Error(keyNode, $"unknown key '{key}' in actions (expected timeout, concurrency, queue)"),
                };
            }
            return options;
        }

        private HealthSettings ReadHealth(YamlNode node)
        {
            var health = new HealthSettings();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "health").Children)
            {
                string key = Key(keyNode);
                health = key switch
                {
                    "interval" => health with { LogInterval = Duration(value, key, allowZero: true) },
                    "socket" => health with { Socket = value is YamlScalarNode { Value: null or "" or "none" } ? null : Scalar(value, key) },
                    "listen" => health with { Listen = Loopback(value) },
                    _ => throw Error(keyNode, $"unknown key '{key}' in health (expected interval, socket, listen)"),
                };
            }
            return health;
        }

        private IPEndPoint Loopback(YamlNode node)
        {
            string text = Scalar(node, "listen");
            string candidate = text.StartsWith("localhost:", StringComparison.Ordinal) ? "127.0.0.1" + text["localhost".Length..] : text;
            if (!IPEndPoint.TryParse(candidate, out IPEndPoint? endpoint) || endpoint.Port == 0)
                throw Error(node, $"listen '{text}' is not ADDRESS:PORT, e.g. 127.0.0.1:9464");
            if (!IPAddress.IsLoopback(endpoint.Address))
                throw Error(node, $"listen must be a loopback address (127.0.0.1 or [::1]), not {endpoint.Address}");
            return endpoint;
        }

        private long HashMaxSize(YamlNode node)
        {
            long bytes = Size(node);
            return bytes is >= 1024 * 1024 and <= 4096L * 1024 * 1024 ? bytes : throw Error(node, "hash_max_size must be 1MiB..4GiB");
        }

        private long Size(YamlNode node)
        {
            string text = Scalar(node, "max_size").Trim();
            int end = 0;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            string unit = text[end..].Trim().ToUpperInvariant();
            long multiplier = unit switch
            {
                "" or "B" => 1,
                "K" or "KB" or "KIB" => 1024,
                "M" or "MB" or "MIB" => 1024 * 1024,
                "G" or "GB" or "GIB" => 1024L * 1024 * 1024,
                _ => -1,
            };
            if (end == 0 || multiplier < 0 || !long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out long count)
                || count > long.MaxValue / multiplier)
                throw Error(node, $"max_size '{text}' is not a size, e.g. 100MB, 512KB, 1GB, or 0 for no rotation");
            return count * multiplier;
        }

        private TimeSpan Duration(YamlNode node, string what, bool allowZero)
        {
            string text = Scalar(node, what).Trim();
            int end = 0;
            while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.')) end++;
            double scale = text[end..].Trim() switch
            {
                "" or "s" => 1,
                "ms" => 0.001,
                "m" or "min" => 60,
                "h" => 3600,
                _ => -1,
            };
            if (end == 0 || scale < 0 || !double.TryParse(text.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
                || (!allowZero && value == 0) || value * scale > 86400 * 365)
                throw Error(node, $"{what} '{text}' is not a duration, e.g. 10s, 500ms, 2m");
            return TimeSpan.FromSeconds(value * scale);
        }

        private int Integer(YamlNode node, string what, int min, int max)
        {
            string text = Scalar(node, what);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
                throw Error(node, $"{what} must be a whole number from {min} to {max}, not '{text}'");
            return value;
        }

        /// <summary>A user that does not exist would make the rule silently match nothing: a name must resolve (a number is taken as is).</summary>
        private string KnownUser(YamlNode node)
        {
            string user = NonEmpty(node, "user");
            if (!uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                && ProcWatch.Kernel.Accounts.AccountNames.Shared.UserId(user) is null)
                throw Error(node, $"user: no such user '{user}' on this host");
            return user;
        }

        private string NonEmpty(YamlNode node, string what)
        {
            string value = Scalar(node, what);
            if (value.Length == 0)
                throw Error(node, $"{what} is empty");
            return value;
        }

        private string Scalar(YamlNode node, string what) => node switch
        {
            YamlScalarNode { Value: { } value } => value,
            _ => throw Error(node, $"{what} must be a single value"),
        };

        private IEnumerable<YamlScalarNode> ScalarList(YamlNode node, string what)
        {
            if (node is YamlScalarNode scalar)
                return [scalar];
            var items = new List<YamlScalarNode>();
            foreach (YamlNode item in Sequence(node, what).Children)
                items.Add(item as YamlScalarNode ?? throw Error(item, $"{what} must list single values"));
            return items;
        }

        private YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping of key: value");

        private YamlSequenceNode Sequence(YamlNode node, string what) =>
            node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list (items starting with '- ')");

        private string Key(YamlNode node) => (node as YamlScalarNode)?.Value ?? throw Error(node, "a key must be a plain word");

        private ConfigException Error(YamlNode node, string problem) => new(source, node.Start.Line, problem);

        private static string YamlProblem(YamlException ex)
        {
            // "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): While scanning ..." → the part after the position.
            string message = ex.Message;
            int cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut >= 0)
                message = message[(cut + 3)..];
            return "invalid YAML: " + OneLine(message);
        }

        private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
    }
}
