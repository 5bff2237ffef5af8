using ProcWatch.Cli.Manual;
using ProcWatch.Daemon.Configuration;
using Xunit;

namespace ProcWatch.Tests.Packaging;

/// <summary>
/// procwatch.yaml(5) is written from <see cref="ConfigSchema"/>, and the configuration reader
/// takes a key only when the schema lists it: every key is in the page, every listed key is
/// read, and an unlisted one is refused, in every section.
/// </summary>
public class ConfigManualTests
{
    [Fact]
    public void EveryConfigKey_IsInItsSectionOfTheConfigManPage()
    {
        string man = ConfigManPage.Write();
        var missing = new List<string>();
        int keys = 0;
        foreach (ConfigSection section in ConfigSchema.All)
        {
            int start = man.IndexOf($"\n.SH {Roff.Text(section.Title)}\n", StringComparison.Ordinal);
            Assert.True(start >= 0, $"no section {section.Title}");
            int end = man.IndexOf("\n.SH ", start + 1, StringComparison.Ordinal);
            string part = man[start..end];
            foreach (ConfigKey key in section.Keys)
            {
                keys++;
                if (!part.Contains(Roff.Bold(key.Name + ":"), StringComparison.Ordinal))
                    missing.Add($"{section.Title}: {key.Name}");
            }
        }
        Assert.Empty(missing);
        Assert.True(keys > 50, $"only {keys} keys");
    }

    [Fact]
    public void TheReader_ReadsEveryListedKey_InItsSection()
    {
        var refused = new List<string>();
        foreach (ConfigSection section in ConfigSchema.All)
        {
            foreach (ConfigKey key in section.Keys)
            {
                foreach (string spelling in key.Aliases.Prepend(key.Name))
                {
                    // A value that may well be invalid for the key: what matters is that the key is read.
                    string? error = ErrorOf(Document(section, spelling));
                    if (error is not null && error.Contains("unknown key", StringComparison.Ordinal))
                        refused.Add($"{section.Title}: {spelling}: {error}");
                }
            }
        }
        Assert.Empty(refused);
    }

    [Fact]
    public void TheReader_RefusesAKeyNotListed_InEverySection_NamingTheListedOnes()
    {
        foreach (ConfigSection section in ConfigSchema.All)
        {
            string? error = ErrorOf(Document(section, "bogus_key"));
            Assert.NotNull(error);
            Assert.Contains(section.UnknownKey("bogus_key"), error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ThePackagedConfigs_AreValid()
    {
        foreach (string path in new[] { "packaging/procwatch.yaml", "packaging/image/procwatch.yaml" })
        {
            DaemonConfig config = ConfigLoader.Load(Path.Combine(Kernel.Ebpf.Programs.RepoRoot, path));
            Assert.NotEmpty(config.Outputs);
        }
    }

    /// <summary>A configuration with <paramref name="key"/> in <paramref name="section"/>.</summary>
    private static string Document(ConfigSection section, string key)
    {
        string entry = $"{key}: x";
        return section == ConfigSchema.TopLevel ? entry + "\n"
            : section == ConfigSchema.Output ? $"outputs:\n  - {entry}\n"
            : section == ConfigSchema.ClickHouse ? key == "type"
                ? "outputs:\n  - type: clickhouse\n    url: http://127.0.0.1:8123/\n"
                : $"outputs:\n  - type: clickhouse\n    {entry}\n"
            : section == ConfigSchema.Rule ? $"rules:\n  - {entry}\n"
            : section == ConfigSchema.Match ? $"rules:\n  - name: r\n    match:\n      {entry}\n"
            : section == ConfigSchema.Sigma ? $"sigma:\n  - {entry}\n"
            : section == ConfigSchema.Actions ? $"actions:\n  {entry}\n"
            : section == ConfigSchema.Health ? $"health:\n  {entry}\n"
            : section == ConfigSchema.Deny ? $"deny:\n  {entry}\n"
            : section == ConfigSchema.DenyRule ? $"deny:\n  rules:\n    - {entry}\n"
            : section == ConfigSchema.Flood ? $"flood:\n  {entry}\n"
            : section == ConfigSchema.Containers ? $"containers:\n  {entry}\n"
            : throw new ArgumentException("a section this test does not know: add it", nameof(section));
    }

    private static string? ErrorOf(string yaml)
    {
        try
        {
            ConfigLoader.Parse(yaml, "test.yaml");
            return null;
        }
        catch (ConfigException ex)
        {
            return ex.Message;
        }
    }
}
