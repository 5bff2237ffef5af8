using ProcWatch.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>The variable-length fields after a small object's record header, on byte fixtures.</summary>
public sealed class RecordTailTests
{
    [Fact]
    public void Fields_AreTakenInOrder_AndAnExactFitIsNoOverrun()
    {
        var tail = new RecordTail("ab/tmp\0x\0y\0"u8);
        Assert.Equal("ab"u8.ToArray(), tail.Take(2).ToArray());
        Assert.Equal("/tmp\0"u8.ToArray(), tail.Take(5).ToArray());
        Assert.True(tail.Take(0).IsEmpty);
        Assert.Equal("x\0y\0"u8.ToArray(), tail.Take(4).ToArray());
        Assert.False(tail.Overrun);
    }

    [Fact]
    public void AFieldPastTheEnd_IsEmpty_AndEveryLaterFieldToo()
    {
        var tail = new RecordTail("abcdef"u8);
        Assert.Equal("abc"u8.ToArray(), tail.Take(3).ToArray());
        Assert.True(tail.Take(4).IsEmpty); // 3 bytes left: the record lies about this length
        Assert.True(tail.Overrun);
        Assert.True(tail.Take(1).IsEmpty); // what follows a bad length is not trusted either
        Assert.True(tail.Overrun);
    }
}
