using System.Diagnostics;
using CsCheck;
using ProcWatch.Text;
using Xunit;

namespace ProcWatch.Tests.Text;

public class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "ls" }, "ls")]
    [InlineData(new[] { "ls", "-la", "/tmp" }, "ls -la /tmp")]
    [InlineData(new[] { "echo", "a b" }, "echo 'a b'")]
    [InlineData(new[] { "echo", "" }, "echo ''")]
    [InlineData(new[] { "echo", "it's" }, "echo 'it'\\''s'")]
    [InlineData(new[] { "sh", "-c", "exit 3" }, "sh -c 'exit 3'")]
    [InlineData(new[] { "x", "$HOME", "*", "a;b" }, "x '$HOME' '*' 'a;b'")]
    [InlineData(new[] { "env", "A=1", "k@host:1,2%+" }, "env A=1 k@host:1,2%+")]
    [InlineData(new[] { "" }, "''")]
    public void Join(string[] args, string expected) => Assert.Equal(expected, CommandLine.Join(args));

    /// <summary>The quoting is what a POSIX shell reads back: feed it to /bin/sh and compare.</summary>
    [Fact]
    public void Join_ShellReadsBackTheSameArguments()
    {
        Gen<string> arg = Gen.String[Gen.Char['\u0001', '\u007e'], 0, 8];
        arg.Array[1, 5].Sample(args =>
        {
            string script = "printf '%s\\0' " + CommandLine.Join(args);
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(string.Concat(args.Select(a => a + "\0")), output);
        }, iter: 200, threads: 1);
    }
}
