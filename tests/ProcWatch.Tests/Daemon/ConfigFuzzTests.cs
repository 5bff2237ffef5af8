using System.Text;
using Xunit;
using ProcWatch.Daemon.Configuration;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// Broken YAML of every kind must give a <see cref="ConfigException"/> naming the file and a
/// line (exit 6), never another exception (which the CLI would report as an internal error).
/// </summary>
public sealed class ConfigFuzzTests
{
    private const string Valid = """
        events: [exec, exit]
        outputs:
          - type: file
            path: /tmp/procwatch-fuzz/events.json
            max_size: 10MB
            keep: 3
          - type: stdout
        rules:
          - name: shell
            severity: high
            match: {event: exec, executable: "/usr/bin/*sh", args: "x y"}
            actions:
              - alert
              - exec: ["/bin/true", '--fast']
            rate_limit: 5/minute
        actions:
          timeout: 2s
        health:
          interval: 30s
          socket: /tmp/procwatch-fuzz.sock
        """;

    private static readonly string[] Insertions =
    [
        "\t", "'", "\"", "[", "]", "{", "}", ":", ": ", "&a ", "*a ", "*nope", "!!int ", "!<x> ", "- ", "? ",
        "#", "|", ">", "%", "@", "`", ",", "\n", "\n  ", "  ", "---\n", "...\n", "\0", "\u00a0", "\ufeff", "<<: *a\n",
        "path: [unclosed\n", "a: &x [*x]\n",
    ];

    [Theory]
    [InlineData("path: [unclosed")]
    [InlineData("path: [unclosed\n")]
    [InlineData("outputs:\n  - type: file\n    path: [unclosed\n")]
    [InlineData("rules:\n\t- name: x\n")]
    [InlineData("rules:\n  - name: 'x\n")]
    [InlineData("a: *nope\n")]
    [InlineData("health:\n  socket: /a\n  socket: /b\n")]
    [InlineData("events: exec\nevents: exit\n")]
    [InlineData("outputs: 5\n")]
    [InlineData("rules: {a: 1}\n")]
    [InlineData("- a\n- b\n")]
    [InlineData("\0\n")]
    [InlineData("a: 1\n---\nb: 2\n")]
    [InlineData("rules:\n  - &r {name: x}\n  - *r\n")]
    [InlineData("actions: {timeout: [1, 2]}\n")]
    [InlineData("rules:\n  - name: x\n    actions: [{exec: {a: b}}]\n")]
    [InlineData("? [a, b]\n: c\n")]
    public void Known_broken_files_are_one_config_error_with_a_line(string text)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, "bad.yaml"));
        Assert.StartsWith("bad.yaml: line ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line > 0);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Truncated_and_mutated_files_never_escape_as_other_exceptions()
    {
        var escaped = new StringBuilder();
        int tried = 0;
        for (int cut = 0; cut <= Valid.Length; cut++)
        {
            Try(Valid[..cut]);
            tried++;
        }
        for (int at = 0; at <= Valid.Length; at += 3)
        {
            foreach (string insertion in Insertions)
            {
                Try(Valid.Insert(at, insertion));
                tried++;
            }
            if (at < Valid.Length)
                Try(Valid.Remove(at, 1));
        }
        Assert.True(tried > 3000);
        Assert.True(escaped.Length == 0, escaped.ToString());

        void Try(string text)
        {
            try
            {
                ConfigLoader.Parse(text, "fuzz.yaml");
            }
            catch (ConfigException ex)
            {
                if (!ex.Message.StartsWith("fuzz.yaml: line ", StringComparison.Ordinal) || ex.Message.Contains('\n', StringComparison.Ordinal))
                    Note(text, ex);
            }
            catch (Exception ex)
            {
                Note(text, ex);
            }
        }

        void Note(string text, Exception ex)
        {
            if (escaped.Length < 4000)
                escaped.Append($"{ex.GetType().Name}: {ex.Message} <- {text.Replace("\n", "\\n", StringComparison.Ordinal)}\n");
        }
    }
}
