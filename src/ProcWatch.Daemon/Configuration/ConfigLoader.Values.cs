using System.Globalization;
using System.Net;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

/// <summary>Health settings and the checked scalars every section uses (sizes, durations, numbers, addresses) and the error a node gives.</summary>
internal static partial class ConfigLoader
{
    private sealed partial class Reader
    {
        private HealthSettings ReadHealth(YamlNode node)
        {
            var health = new HealthSettings();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "health").Children)
            {
                string key = Key(keyNode, ConfigSchema.Health);
                health = key switch
                {
                    "interval" => health with { LogInterval = Duration(value, key, allowZero: true) },
                    "socket" => health with { Socket = value is YamlScalarNode { Value: null or "" or "none" } ? null : Scalar(value, key) },
                    "listen" => health with { Listen = Loopback(value) },
                    "metrics_token_file" => health with { MetricsTokenFile = Scalar(value, key) },
                    "rule_metrics" => health with { RuleMetrics = Boolean(value, key) },
                    _ => throw Error(keyNode, ConfigSchema.Health.UnknownKey(key)),
                };
            }
            return health;
        }

        private Flood.FloodSettings ReadFlood(YamlNode node)
        {
            var flood = new Flood.FloodSettings();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "flood").Children)
            {
                string key = Key(keyNode, ConfigSchema.Flood);
                flood = key switch
                {
                    "bytes_per_minute" => flood with { BytesPerMinute = Size(value) },
                    "argv_kept" => flood with { ArgvKeptBytes = (int)Math.Clamp(Size(value), 0, 1024 * 1024) },
                    "users" => flood with { MaxUsers = Integer(value, key, 16, 1_000_000) },
                    _ => throw Error(keyNode, ConfigSchema.Flood.UnknownKey(key)),
                };
            }
            return flood;
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
            return TryParseSize(text, out long bytes)
                ? bytes
                : throw Error(node, $"max_size '{text}' is not a size, e.g. 100MB, 512KB, 1GB, or 0 for no rotation");
        }

        /// <summary>A size ("512KB", "1 GiB", "100"): digits, then an optional binary unit; 0 is a size.</summary>
        private static bool TryParseSize(string text, out long bytes)
        {
            bytes = 0;
            int end = 0;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            long multiplier = text[end..].Trim().ToUpperInvariant() switch
            {
                "" or "B" => 1,
                "K" or "KB" or "KIB" => 1024,
                "M" or "MB" or "MIB" => 1024 * 1024,
                "G" or "GB" or "GIB" => 1024L * 1024 * 1024,
                _ => -1,
            };
            if (end == 0 || multiplier < 0 || !long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out long count)
                || count > long.MaxValue / multiplier)
                return false;
            bytes = count * multiplier;
            return true;
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
            return Items(node, what, item => item as YamlScalarNode ?? throw Error(item, $"{what} must list single values"));
        }

        /// <summary>Each item of the sequence <paramref name="node"/> (named <paramref name="what"/> in errors), read by <paramref name="read"/>.</summary>
        private List<T> Items<T>(YamlNode node, string what, Func<YamlNode, T> read)
        {
            var items = new List<T>();
            foreach (YamlNode item in Sequence(node, what).Children)
                items.Add(read(item));
            return items;
        }

        private YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping of key: value");

        private YamlSequenceNode Sequence(YamlNode node, string what) =>
            node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list (items starting with '- ')");

        private string Key(YamlNode node) => (node as YamlScalarNode)?.Value ?? throw Error(node, "a key must be a plain word");

        /// <summary>The key, when <paramref name="section"/> lists it: only keys the manual documents are read (<see cref="ConfigSchema"/>).</summary>
        private string Key(YamlNode node, ConfigSection section)
        {
            string key = Key(node);
            return section.Accepts(key) ? key : throw Error(node, section.UnknownKey(key));
        }

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

        private static string OneLine(string text) => ProcWatch.Core.FailureText.OneLine(text);
    }
}
