using ProcWatch.Kernel.Enforcement;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

/// <summary>
/// The <c>deny:</c> section: rules enforced in the kernel at exec (docs/prevention.md).
/// Checked whole at load, files resolved and the safety rules applied, so a bad policy is a
/// config error (exit 6) naming the line, never a surprise at start.
/// </summary>
internal static partial class ConfigLoader
{
    private sealed partial class Reader
    {
        private IReadOnlyList<DenyRule> ReadDeny(YamlNode node)
        {
            bool audit = false;
            YamlNode? rulesNode = null;
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "deny").Children)
            {
                switch (Key(keyNode, ConfigSchema.Deny))
                {
                    case "mode": audit = IsAudit(value); break;
                    case "rules": rulesNode = value; break;
                }
            }
            if (rulesNode is null)
                return [];
            var rules = new List<DenyRule>();
            var nodes = new List<YamlNode>();
            foreach (YamlNode item in Sequence(rulesNode, "deny.rules").Children)
            {
                rules.Add(ReadDenyRule(item, audit));
                nodes.Add(item);
            }
            try
            {
                DenyPolicyCompiler.Compile(rules);
            }
            catch (ArgumentException ex)
            {
                int at = rules.FindIndex(r => ex.Message.StartsWith($"deny rule '{r.Name}'", StringComparison.Ordinal));
                throw Error(at >= 0 ? nodes[at] : rulesNode, OneLine(ex.Message));
            }
            return rules;
        }

        private DenyRule ReadDenyRule(YamlNode item, bool defaultAudit)
        {
            YamlMappingNode map = Mapping(item, "a deny rule");
            var rule = new DenyRule { Name = "", Audit = defaultAudit };
            foreach ((YamlNode keyNode, YamlNode value) in map.Children)
            {
                string key = Key(keyNode);
                if (key is not ("args" or "name_pattern" or "comm") && !ConfigSchema.DenyRule.Accepts(key))
                    throw Error(keyNode, ConfigSchema.DenyRule.UnknownKey(key));
                rule = key switch
                {
                    "name" => rule with { Name = NonEmpty(value, key) },
                    "mode" => rule with { Audit = IsAudit(value) },
                    "allow_critical" => rule with { AllowCritical = Boolean(value, key) },
                    "executable" or "executables" => rule with { Executables = Strings(value, key) },
                    "directory" or "directories" => rule with { Directories = Strings(value, key) },
                    "fileless" => rule with { Fileless = Boolean(value, key) },
                    "sha256" => rule with { Sha256 = Strings(value, key) },
                    "user" => rule with { User = NonEmpty(value, key) },
                    "cgroup" => rule with { Cgroup = NonEmpty(value, key) },
                    "parent_executable" => rule with { ParentExecutable = NonEmpty(value, key) },
                    "args" or "name_pattern" or "comm" =>
                        throw Error(keyNode, $"a deny rule cannot match '{key}': it is judged in the kernel at exec, before the new program's arguments and name can be read; use a rule under rules: with a kill action for that"),
                    _ => throw Error(keyNode, ConfigSchema.DenyRule.UnknownKey(key)),
                };
            }
            if (string.IsNullOrEmpty(rule.Name))
                throw Error(item, "a deny rule needs a name");
            return rule;
        }

        private bool IsAudit(YamlNode node) => Scalar(node, "mode") switch
        {
            "enforce" => false,
            "audit" => true,
            string other => throw Error(node, $"unknown deny mode '{other}' (expected enforce, audit)"),
        };

        /// <summary>One string or a list of them.</summary>
        private List<string> Strings(YamlNode node, string what)
        {
            var values = new List<string>();
            if (node is YamlScalarNode)
            {
                values.Add(NonEmpty(node, what));
                return values;
            }
            foreach (YamlScalarNode item in ScalarList(node, what))
                values.Add(NonEmpty(item, what));
            return values;
        }
    }
}
