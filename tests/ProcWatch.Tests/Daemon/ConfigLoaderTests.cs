using Xunit;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Events;
using ProcWatch.Rules;

namespace ProcWatch.Tests.Daemon;

public sealed class ConfigLoaderTests
{
    [Fact]
    public void The_shape_from_the_issue_loads()
    {
        DaemonConfig config = ConfigLoader.Parse("""
            events: [exec, exit]          # optional; default exec, exit
            outputs:
              - type: file                # file | stdout | syslog | journald
                path: /var/log/procwatch/events.json
                max_size: 100MB           # rotation
                keep: 10
              - type: stdout
              - type: syslog
                facility: authpriv
              - type: journald
            rules:
              - name: shell-spawned-by-web-server
                severity: high
                match:                    # all given keys must match
                  event: exec
                  executable: "/usr/bin/*sh"
                  args: "regex or plain substring"
                  user: www-data
                  parent_executable: "/usr/sbin/nginx"
                actions:
                  - alert
                  - exec: ["/bin/true", "--fast"]
                  - kill
                rate_limit: 5/minute
            actions:
              timeout: 2s
              concurrency: 3
            health:
              interval: 30s
              listen: 127.0.0.1:9464
              socket: /tmp/x.sock
            """, "test.yaml");

        Assert.Equal(ProcessEventKinds.Exec | ProcessEventKinds.Exit, config.Events);
        Assert.Equal([OutputType.File, OutputType.Stdout, OutputType.Syslog, OutputType.Journald], config.Outputs.Select(o => o.Type));
        Assert.Equal(100L * 1024 * 1024, config.Outputs[0].MaxBytes);
        Assert.Equal(10, config.Outputs[2].Facility);
        Assert.Equal("/dev/log", config.Outputs[2].Path);
        Assert.Equal("/run/systemd/journal/socket", config.Outputs[3].Path);
        RuleDefinition rule = Assert.Single(config.Rules);
        Assert.Equal(RuleSeverity.High, rule.Severity);
        Assert.Equal("/usr/bin/*sh", rule.Match.Executable);
        Assert.Equal("www-data", rule.Match.User);
        Assert.Equal(3, rule.Actions.Count);
        Assert.Equal(["/bin/true", "--fast"], Assert.IsType<ExecAction>(rule.Actions[1]).Argv);
        Assert.Equal(new RateLimit(5, TimeSpan.FromMinutes(1)), rule.ExecRateLimit);
        Assert.Equal(TimeSpan.FromSeconds(2), config.Actions.Timeout);
        Assert.Equal(3, config.Actions.Concurrency);
        Assert.Equal(9464, config.Health.Listen!.Port);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Health.LogInterval);
    }

    [Fact]
    public void The_built_in_default_records_exec_and_exit_to_a_rotated_file()
    {
        DaemonConfig config = DefaultConfig.Load();
        Assert.Equal(ProcessEventKinds.Exec | ProcessEventKinds.Exit, config.Events);
        OutputDefinition output = Assert.Single(config.Outputs);
        Assert.Equal(OutputType.File, output.Type);
        Assert.Equal("/var/log/procwatch/events.json", output.Path);
        Assert.True(output.MaxBytes > 0);
        Assert.Empty(config.Rules);
        Assert.Equal(ProcWatch.Backend.Auto, config.Backend);
        Assert.Equal(ProcWatch.Backend.Procfs, ConfigLoader.Parse("backend: procfs\n", "b.yaml").Backend);
        Assert.True(config.Hash.Enabled);
        Assert.Equal(64L * 1024 * 1024, config.Hash.MaxBytes);
        Assert.Equal(4, config.Ancestors);
    }

    [Fact]
    public void Hashing_and_ancestors_are_configurable()
    {
        DaemonConfig config = ConfigLoader.Parse("hash: false\nhash_max_size: 8MiB\nancestors: 0\n", "h.yaml");
        Assert.False(config.Hash.Enabled);
        Assert.Equal(8L * 1024 * 1024, config.Hash.MaxBytes);
        Assert.Equal(0, config.Ancestors);
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse("ancestors: 65\n", "h.yaml"));
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse("hash_max_size: 10\n", "h.yaml"));
    }

    [Theory]
    [InlineData("outputs:\n  - type: filez\n", 2, "unknown output type 'filez' (expected file, stdout, syslog, journald, clickhouse)")]
    [InlineData("backend: kprobe\n", 1, "unknown backend 'kprobe' (expected auto, connector, ebpf, procfs)")]
    [InlineData("events: [exec, launch]\n", 1, "events: unknown event 'launch'")]
    [InlineData("outputz: []\n", 1, "unknown key 'outputz'")]
    [InlineData("outputs:\n  - type: file\n   path: x\n", 3, "invalid YAML")]
    [InlineData("rules:\n  - name: a\n    match:\n      args: \"/[x/\"\n", 4, "args: invalid regular expression")]
    [InlineData("rules:\n  - name: a\n    actions:\n      - exec: \"/bin/notify $PID\"\n", 4, "exec takes a list")]
    [InlineData("rules:\n  - name: a\n    actions:\n      - exec: [notify]\n", 4, "must be an absolute path")]
    [InlineData("rules:\n  - name: a\n    actions:\n      - exec: [/nonexistent/notify]\n", 4, "no such program /nonexistent/notify")]
    [InlineData("rules:\n  - name: a\n    actions: [alert, page]\n", 3, "unknown action 'page'")]
    [InlineData("rules:\n  - name: a\n  - name: a\n", 3, "a rule named 'a' already exists")]
    [InlineData("rules:\n  - severity: high\n", 2, "a rule needs a name")]
    [InlineData("rules:\n  - name: a\n    severity: urgent\n", 3, "unknown severity 'urgent'")]
    [InlineData("rules:\n  - name: a\n    match:\n      exe: /bin/sh\n", 4, "unknown key 'exe' in match")]
    [InlineData("rules:\n  - name: a\n    rate_limit: fast\n", 3, "rate_limit 'fast' is not COUNT/UNIT")]
    [InlineData("health:\n  listen: 0.0.0.0:9464\n", 2, "listen must be a loopback address")]
    [InlineData("actions:\n  timeout: 0\n", 2, "timeout '0' is not a duration")]
    [InlineData("outputs:\n  - type: stdout\n    max_size: 1MB\n", 3, "max_size is for file outputs only")]
    [InlineData("outputs:\n  - path: /tmp/x\n", 2, "an output needs a type")]
    [InlineData("outputs:\n  - type: file\n    path: /tmp/a\n  - type: file\n    path: /tmp/a\n", 4, "the file /tmp/a is already an output")]
    [InlineData("outputs: []\n", 1, "outputs is empty")]
    [InlineData("outputs:\n  - type: file\n    path: logs/events.json\n", 2, "path must be absolute, not 'logs/events.json'")]
    [InlineData("rules:\n  - name: a\n    match:\n      user: nosuchuser\n", 4, "user: no such user 'nosuchuser' on this host")]
    [InlineData("rules:\n  - name: all\n    match: {}\n    actions: [kill]\n", 4, "rule 'all' would SIGKILL every process")]
    [InlineData("rules:\n  - name: all\n    match: {event: exec}\n    actions: [alert, kill]\n", 4, "add kill_any_process: true if that is really meant")]
    [InlineData("rules:\n  - name: all\n    kill_any_process: maybe\n", 3, "kill_any_process must be true or false")]
    [InlineData("- just a list\n", 1, "the configuration must be a mapping")]
    public void An_invalid_file_is_one_line_naming_the_line(string yaml, int line, string problem)
    {
        ConfigException ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "c.yaml"));
        Assert.Equal(line, ex.Line);
        Assert.StartsWith($"c.yaml: line {line}: ", ex.Message);
        Assert.Contains(problem, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void An_empty_file_means_the_defaults()
    {
        DaemonConfig config = ConfigLoader.Parse("# nothing here\n", "empty.yaml");
        Assert.Equal(OutputDefinition.DefaultPath, Assert.Single(config.Outputs).Path);
    }

    [Fact]
    public void An_unreadable_file_is_one_line()
    {
        ConfigException ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/procwatch.yaml"));
        Assert.StartsWith("/nonexistent/procwatch.yaml: cannot read:", ex.Message);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("4096", 4096L)]
    [InlineData("512KB", 512L * 1024)]
    [InlineData("100M", 100L * 1024 * 1024)]
    [InlineData("1GiB", 1024L * 1024 * 1024)]
    public void Sizes_take_units(string size, long bytes)
    {
        DaemonConfig config = ConfigLoader.Parse($"outputs:\n  - type: file\n    path: /tmp/x\n    max_size: {size}\n", "s.yaml");
        Assert.Equal(bytes, config.Outputs[0].MaxBytes);
    }

    [Fact]
    public void A_kill_on_every_process_needs_the_documented_confirmation()
    {
        DaemonConfig config = ConfigLoader.Parse("rules:\n  - name: all\n    match: {}\n    actions: [kill]\n    kill_any_process: true\n", "k.yaml");
        Assert.IsType<KillAction>(Assert.Single(Assert.Single(config.Rules).Actions));
        Assert.Equal("0", ConfigLoader.Parse("rules:\n  - name: r\n    match: {user: \"0\"}\n", "u.yaml").Rules[0].Match.User);
    }

    [Fact]
    public void A_program_that_is_not_executable_is_refused()
    {
        string program = Path.GetTempFileName(); // mode 0600
        try
        {
            ConfigException ex = Assert.Throws<ConfigException>(() =>
                ConfigLoader.Parse($"rules:\n  - name: a\n    actions:\n      - exec: [{program}]\n", "x.yaml"));
            Assert.Equal($"x.yaml: line 4: exec: {program} is not executable (chmod +x it)", ex.Message);
        }
        finally
        {
            File.Delete(program);
        }
    }
}
