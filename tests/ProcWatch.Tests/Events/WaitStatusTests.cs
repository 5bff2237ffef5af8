using ProcWatch.Events;
using Xunit;

namespace ProcWatch.Tests.Events;

public class WaitStatusTests
{
    [Theory]
    [InlineData(0x0000u, 0)]
    [InlineData(0x0100u, 1)]
    [InlineData(0x0300u, 3)]
    [InlineData(0xff00u, 255)]
    public void Exited(uint raw, int code)
    {
        var s = new WaitStatus(raw);
        Assert.True(s.Exited);
        Assert.Equal(code, s.ExitCode);
        Assert.Null(s.Signal);
        Assert.False(s.CoreDumped);
        Assert.Equal(code, s.ShellCode);
    }

    [Theory]
    [InlineData(9u, 9, false)]       // SIGKILL
    [InlineData(15u, 15, false)]     // SIGTERM
    [InlineData(0x8bu, 11, true)]    // SIGSEGV, core dumped
    [InlineData(0x86u, 6, true)]     // SIGABRT, core dumped
    [InlineData(0x40u, 64, false)]   // SIGRTMAX
    public void Signalled(uint raw, int signal, bool core)
    {
        var s = new WaitStatus(raw);
        Assert.False(s.Exited);
        Assert.Null(s.ExitCode);
        Assert.Equal(signal, s.Signal);
        Assert.Equal(core, s.CoreDumped);
        Assert.Equal(128 + signal, s.ShellCode);
    }

    [Theory]
    [InlineData(11, "SIGSEGV")]
    [InlineData(9, "SIGKILL")]
    [InlineData(31, "SIGSYS")]
    [InlineData(34, "SIGRTMIN")]
    [InlineData(36, "SIGRTMIN+2")]
    [InlineData(99, "SIG99")]
    [InlineData(0, "SIG0")]
    public void SignalNames(int signal, string name) => Assert.Equal(name, Signals.Name(signal));
}
