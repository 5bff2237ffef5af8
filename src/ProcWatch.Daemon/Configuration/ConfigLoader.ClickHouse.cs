using System.Globalization;
using ProcWatch.Daemon.Outputs.ClickHouse;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

internal static partial class ConfigLoader
{
    private sealed partial class Reader
    {
        private static bool IsClickHouse(YamlMappingNode map)
        {
            foreach ((YamlNode key, YamlNode value) in map.Children)
            {
                if (key is YamlScalarNode { Value: "type" })
                    return value is YamlScalarNode { Value: "clickhouse" };
            }
            return false;
        }

        /// <summary><c>- type: clickhouse</c> with its own keys; the password never appears here (password_file or the environment).</summary>
        private OutputDefinition ReadClickHouse(YamlMappingNode map, YamlNode item)
        {
            Uri? url = null;
            var s = new ClickHouseSettings { Url = new Uri("http://127.0.0.1:8123/") };
            foreach ((YamlNode keyNode, YamlNode value) in map.Children)
            {
                string key = Key(keyNode);
                if (key != "password") // refused below with its own reason
                    key = Key(keyNode, ConfigSchema.ClickHouse);
                switch (key)
                {
                    case "type": break;
                    case "url": url = HttpUrl(value); break;
                    case "database": s = s with { Database = NonEmpty(value, key) }; break;
                    case "table": s = s with { Table = NonEmpty(value, key) }; break;
                    case "user": s = s with { User = NonEmpty(value, key) }; break;
                    case "password":
                        throw Error(keyNode, "the password does not belong in the configuration: use password_file or the environment variable " + ClickHouseSettings.PasswordVariable);
                    case "password_file": s = s with { PasswordFile = ExistingFile(value, key) }; break;
                    case "ca_file": s = s with { CaFile = ExistingFile(value, key) }; break;
                    case "batch_rows": s = s with { BatchRows = Integer(value, key, 1, 1_000_000) }; break;
                    case "batch_interval": s = s with { BatchInterval = Duration(value, key, allowZero: false) }; break;
                    case "timeout": s = s with { Timeout = Duration(value, key, allowZero: false) }; break;
                    case "spool": s = s with { SpoolDirectory = NonEmpty(value, key) }; break;
                    case "spool_max_size": s = s with { SpoolMaxBytes = ByteSize(value, key) }; break;
                    case "spool_max_age": s = s with { SpoolMaxAge = Days(value, key) }; break;
                    case "queue_max_size": s = s with { QueueMaxBytes = ByteSize(value, key) }; break;
                    case "create_table": s = s with { CreateTable = Boolean(value, key) }; break;
                    case "retention_days": s = s with { RetentionDays = Integer(value, key, 0, 36500) }; break;
                    case "heartbeat_interval": s = s with { HeartbeatInterval = Duration(value, key, allowZero: true) }; break;
                    case "heartbeat_table": s = s with { HeartbeatTable = NonEmpty(value, key) }; break;
                    default:
                        throw Error(keyNode, ConfigSchema.ClickHouse.UnknownKey(key));
                }
            }
            if (url is null)
                throw Error(item, "a clickhouse output needs a url, e.g. url: http://127.0.0.1:8123/");
            if (!string.IsNullOrEmpty(url.UserInfo) || HasCredentialParameter(url))
                throw Error(item, "the url must not carry credentials: use user, password_file or the environment");
            return new OutputDefinition { Type = OutputType.ClickHouse, Path = s.SpoolDirectory, ClickHouse = s with { Url = url } };
        }

        /// <summary>?user= or ?password=: sent on every request URL, where proxies and the server's query log keep it.</summary>
        private static bool HasCredentialParameter(Uri url)
        {
            foreach (string pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                string name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).Trim();
                if (name.Equals("user", StringComparison.OrdinalIgnoreCase) || name.Equals("password", StringComparison.OrdinalIgnoreCase))
                    return true;
            }
            return false;
        }

        private Uri HttpUrl(YamlNode node)
        {
            string text = NonEmpty(node, "url");
            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                throw Error(node, $"url '{text}' is not an http:// or https:// address, e.g. http://127.0.0.1:8123/");
            return url;
        }

        private string ExistingFile(YamlNode node, string what)
        {
            string path = NonEmpty(node, what);
            if (!File.Exists(path))
                throw Error(node, $"{what}: no such file {path}");
            return path;
        }

        private bool Boolean(YamlNode node, string what) => Scalar(node, what) switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            string other => throw Error(node, $"{what} must be true or false, not '{other}'"),
        };

        /// <summary>A duration; "7d" style days too (spool ages are days, not seconds).</summary>
        private TimeSpan Days(YamlNode node, string what)
        {
            string text = Scalar(node, what).Trim();
            if (text.EndsWith('d') && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int days) && days is > 0 and <= 3650)
                return TimeSpan.FromDays(days);
            return Duration(node, what, allowZero: false);
        }

        private long ByteSize(YamlNode node, string what)
        {
            string text = Scalar(node, what).Trim();
            return TryParseSize(text, out long bytes) && bytes > 0 ? bytes : throw Error(node, $"{what} '{text}' is not a size, e.g. 512MB, 1GB");
        }
    }
}
