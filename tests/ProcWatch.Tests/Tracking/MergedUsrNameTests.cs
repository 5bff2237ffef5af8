using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Tracking;

/// <summary>
/// The string check that spares the shebang statx for /bin/X run as /usr/bin/X: only an exact
/// "/usr" + name counts, and only for a directory that is a link into /usr on this machine.
/// </summary>
public sealed class MergedUsrNameTests
{
    private static bool BinIsLinkedIntoUsr => new FileInfo("/bin").LinkTarget is "usr/bin" or "/usr/bin";

    [Fact]
    public void ANameThroughTheBinLinkIsTheExecutable_OnlyWhenBinIsThatLink()
    {
        Assert.Equal(BinIsLinkedIntoUsr, MergedUsrName.Names("/bin/true", "/usr/bin/true"));
    }

    [Theory]
    [InlineData("/bin/sh", "/usr/bin/dash")]        // a link to another name: the statx decides
    [InlineData("/bin/true", "/usr/bin/truex")]
    [InlineData("/bin/truex", "/usr/bin/true")]
    [InlineData("/binx/true", "/usr/binx/true")]    // not one of the linked directories
    [InlineData("/bin", "/usr/bin")]                // the directory itself
    [InlineData("/usr/bin/true", "/usr/usr/bin/true")]
    [InlineData("/tmp/bin/true", "/usr/tmp/bin/true")]
    [InlineData("/bin/true", "/opt/bin/true")]
    public void AnyOtherDifferenceIsNotTheExecutable(string name, string executable)
    {
        Assert.False(MergedUsrName.Names(name, executable));
    }
}
