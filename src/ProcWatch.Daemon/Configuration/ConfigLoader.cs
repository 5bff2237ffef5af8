using System.Globalization;
using System.Net;
using ProcWatch.Events;
using ProcWatch.Filtering;
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
                return config with { EmptyFile = true };
            if (stream.Documents.Count > 1)
                throw Error(stream.Documents[1].RootNode, "only one YAML document is allowed");
            YamlMappingNode root = Mapping(stream.Documents[0].RootNode, "the configuration");
            foreach ((YamlNode keyNode, YamlNode value) in root.Children)
            {
                string key = Key(keyNode, ConfigSchema.TopLevel);
                config = ReadTopLevel(config, key, keyNode, value);
                if (key == "rules" && value is YamlSequenceNode { Children.Count: 0 })
                    config = config with { RulesExplicitlyEmpty = true };
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
                    "flood" => config with { Flood = ReadFlood(value) },
                    "sigma" => config with { Sigma = ReadSigma(value) },
                    "filters" => config with { SigmaFilters = ReadSigmaFilters(value) },
                    "hash" => config with { Hash = config.Hash with { Enabled = Boolean(value, key) } },
                    "hash_max_size" => config with { Hash = config.Hash with { MaxBytes = HashMaxSize(value) } },
                    "ancestors" => config with { Ancestors = Integer(value, key, 0, 64) },
                    "containers" => config with { Containers = ReadContainers(value) },
                    _ => throw Error(keyNode, ConfigSchema.TopLevel.UnknownKey(key)),
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
                if (!SettingValues.TryAddKinds(item.Value, ref kinds, out string? error))
                    throw Error(item, $"{what}: {error}");
            }
            if (kinds == ProcessEventKinds.None)
                throw Error(node, $"{what} {SettingValues.NoKinds}");
            return kinds;
        }

        private Backend ReadBackend(YamlNode node) =>
            SettingValues.TryParseBackend(Scalar(node, "backend"), out Backend backend, out string? error) ? backend : throw Error(node, error!);

        private List<OutputDefinition> ReadOutputs(YamlNode node)
        {
            var outputs = new List<OutputDefinition>();
            var files = new HashSet<string>(StringComparer.Ordinal);
            foreach (YamlNode item in Sequence(node, "outputs").Children)
            {
                YamlMappingNode map = Mapping(item, "an output");
                if (IsClickHouse(map))
                {
                    OutputDefinition clickHouse = ReadClickHouse(map, item);
                    // Two spools in one directory would number their files alike and send each other's batches.
                    if (!Path.IsPathFullyQualified(clickHouse.Path!))
                        throw Error(item, $"spool must be absolute, not '{clickHouse.Path}' (the daemon runs in /, so a relative path would depend on how it was started)");
                    if (!files.Add(Path.GetFullPath(clickHouse.Path!)))
                        throw Error(item, $"the spool directory {clickHouse.Path} is already another output's");
                    outputs.Add(clickHouse);
                    continue;
                }
                OutputType? type = null;
                string? path = null;
                long maxBytes = 100L * 1024 * 1024;
                int keep = 10;
                int facility = 3;
                string? alerts = null;
                bool alertsOff = false;
                long alertsMaxBytes = 10L * 1024 * 1024;
                int alertsKeep = 10;
                YamlNode? facilityNode = null, sizeNode = null, alertsNode = null;
                foreach ((YamlNode keyNode, YamlNode value) in map.Children)
                {
                    switch (Key(keyNode, ConfigSchema.Output))
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
                        case "alerts":
                            alertsNode = value;
                            alertsOff = value is YamlScalarNode { Value: "none" };
                            alerts = alertsOff ? null : NonEmpty(value, "alerts");
                            break;
                        case "alerts_max_size": alertsMaxBytes = Size(value); alertsNode ??= value; break;
                        case "alerts_keep": alertsKeep = Integer(value, "alerts_keep", 0, 1000); alertsNode ??= value; break;
                        case "facility":
                            facilityNode = value;
                            if (!SyslogSink.TryParseFacility(Scalar(value, "facility"), out facility))
                                throw Error(value, $"unknown syslog facility '{Scalar(value, "facility")}' (expected e.g. daemon, auth, authpriv, local0..local7)");
                            break;
                        case string other:
                            throw Error(keyNode, ConfigSchema.Output.UnknownKey(other));
                    }
                }
                if (type is null)
                    throw Error(item, "an output needs a type (file, stdout, syslog, journald)");
                if (facilityNode is not null && type != OutputType.Syslog)
                    throw Error(facilityNode, "facility is for syslog outputs only");
                if (sizeNode is not null && type != OutputType.File)
                    throw Error(sizeNode, "max_size is for file outputs only");
                if (alertsNode is not null && type != OutputType.File)
                    throw Error(alertsNode, "alerts, alerts_max_size and alerts_keep are for file outputs only");
                if (type == OutputType.File)
                {
                    path ??= OutputDefinition.DefaultPath;
                    if (!files.Add(Path.GetFullPath(path)))
                        throw Error(item, $"the file {path} is already an output");
                    if (!alertsOff && Path.IsPathFullyQualified(path))
                    {
                        alerts ??= OutputDefinition.AlertsSibling(path);
                        if (!Path.IsPathFullyQualified(alerts))
                            throw Error(alertsNode ?? item, $"alerts must be absolute, not '{alerts}'");
                        if (!files.Add(Path.GetFullPath(alerts)))
                            throw Error(alertsNode ?? item, $"the alerts file {alerts} is already an output");
                    }
                }
                if (type == OutputType.Stdout && path is not null)
                    throw Error(item, "a stdout output takes no path");
                if (path is not null && !Path.IsPathFullyQualified(path))
                    throw Error(item, $"path must be absolute, not '{path}' (the daemon runs in /, so a relative path would depend on how it was started)");
                if (type == OutputType.File && Directory.Exists(path))
                    throw Error(item, $"the output {path} is a directory (name a file in it, e.g. {Path.Combine(path!, "events.json")})");
                outputs.Add(new OutputDefinition
                {
                    Type = type.Value,
                    Path = path ?? (type == OutputType.Syslog ? "/dev/log" : type == OutputType.Journald ? JournaldSink.DefaultSocket : null),
                    MaxBytes = maxBytes,
                    Keep = keep,
                    AlertsPath = alerts,
                    AlertsMaxBytes = alertsMaxBytes,
                    AlertsKeep = alertsKeep,
                    Facility = facility,
                });
            }
            if (outputs.Count == 0)
                throw Error(node, "outputs is empty: name at least one (or leave the key out for the default file)");
            return outputs;
        }

    }
}
