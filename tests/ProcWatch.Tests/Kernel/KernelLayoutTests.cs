using System.Globalization;
using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel.Connector;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel;

/// <summary>
/// The constants and offsets in <see cref="CnProc"/> and <see cref="Libc"/> against what gcc
/// says about the real headers (linux/netlink.h, connector.h, cn_proc.h, libc).
/// </summary>
public class KernelLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> Layout = new(() =>
    {
        (int code, string output) = NativeHelpers.Run(NativeHelpers.Build("layout.c"), "");
        Assert.Equal(0, code);
        var values = new Dictionary<string, long>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.LastIndexOf(' ');
            values[line[..space]] = long.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return values;
    });

    private static void Check(string name, long expected) =>
        Assert.True(Layout.Value.TryGetValue(name, out long actual) && actual == expected,
            $"{name}: headers say {(Layout.Value.TryGetValue(name, out long a) ? a.ToString(CultureInfo.InvariantCulture) : "nothing")}, ProcWatch uses {expected}");

    [Fact]
    public void Netlink()
    {
        Check("NETLINK_CONNECTOR", CnProc.NETLINK_CONNECTOR);
        Check("NLMSG_HDRLEN", CnProc.NLMSG_HDRLEN);
        Check("sizeof.struct nlmsghdr", CnProc.NLMSG_HDRLEN);
        Check("NLMSG_ALIGNTO", CnProc.NLMSG_ALIGNTO);
        Check("NLMSG_NOOP", CnProc.NLMSG_NOOP);
        Check("NLMSG_ERROR", CnProc.NLMSG_ERROR);
        Check("NLMSG_DONE", CnProc.NLMSG_DONE);
        Check("NLMSG_OVERRUN", CnProc.NLMSG_OVERRUN);
        Check("struct nlmsghdr.nlmsg_len", CnProc.nlmsg_len);
        Check("struct nlmsghdr.nlmsg_type", CnProc.nlmsg_type);
        Check("struct nlmsghdr.nlmsg_flags", CnProc.nlmsg_flags);
        Check("struct nlmsghdr.nlmsg_seq", CnProc.nlmsg_seq);
        Check("struct nlmsghdr.nlmsg_pid", CnProc.nlmsg_pid);
        Check("sizeof.struct sockaddr_nl", Marshal.SizeOf<Libc.sockaddr_nl>());
    }

    [Fact]
    public void Connector()
    {
        Check("CN_IDX_PROC", CnProc.CN_IDX_PROC);
        Check("CN_VAL_PROC", CnProc.CN_VAL_PROC);
        Check("sizeof.struct cn_msg", CnProc.CN_MSG_SIZE);
        Check("struct cn_msg.data", CnProc.CN_MSG_SIZE);
        Check("struct cn_msg.id.idx", CnProc.cn_msg_idx);
        Check("struct cn_msg.id.val", CnProc.cn_msg_val);
        Check("struct cn_msg.seq", CnProc.cn_msg_seq);
        Check("struct cn_msg.ack", CnProc.cn_msg_ack);
        Check("struct cn_msg.len", CnProc.cn_msg_len);
        Check("struct cn_msg.flags", CnProc.cn_msg_flags);
    }

    [Fact]
    public void ProcEventConstants()
    {
        Check("PROC_CN_MCAST_LISTEN", CnProc.PROC_CN_MCAST_LISTEN);
        Check("PROC_CN_MCAST_IGNORE", CnProc.PROC_CN_MCAST_IGNORE);
        Check("PROC_EVENT_NONE", CnProc.PROC_EVENT_NONE);
        Check("PROC_EVENT_FORK", CnProc.PROC_EVENT_FORK);
        Check("PROC_EVENT_EXEC", CnProc.PROC_EVENT_EXEC);
        Check("PROC_EVENT_UID", CnProc.PROC_EVENT_UID);
        Check("PROC_EVENT_GID", CnProc.PROC_EVENT_GID);
        Check("PROC_EVENT_SID", CnProc.PROC_EVENT_SID);
        Check("PROC_EVENT_PTRACE", CnProc.PROC_EVENT_PTRACE);
        Check("PROC_EVENT_COMM", CnProc.PROC_EVENT_COMM);
        Check("PROC_EVENT_COREDUMP", CnProc.PROC_EVENT_COREDUMP);
        Check("PROC_EVENT_EXIT", CnProc.PROC_EVENT_EXIT);
    }

    [Fact]
    public void ProcInput_FromLinux66()
    {
        if (Layout.Value.ContainsKey("sizeof.struct proc_input"))
        {
            Check("sizeof.struct proc_input", CnProc.PROC_INPUT_SIZE);
            Check("struct proc_input.mcast_op", 0);
            Check("struct proc_input.event_type", 4);
            Check("PROC_EVENT_NONZERO_EXIT", CnProc.PROC_EVENT_NONZERO_EXIT);
            Check("PROC_EVENT_ALL", CnProc.PROC_EVENT_ALL);
        }
        else
        {
            // Headers older than 6.6 (Debian 12's linux-libc-dev is 6.1) lack these: the
            // values documented in Linux 6.6's include/uapi/linux/cn_proc.h.
            Assert.Equal(8, CnProc.PROC_INPUT_SIZE);
            Assert.Equal(0x20000000u, CnProc.PROC_EVENT_NONZERO_EXIT);
            Assert.Equal(0xe00003c7u, CnProc.PROC_EVENT_ALL);
        }
    }

    [Fact]
    public void ProcEventHeader()
    {
        Check("sizeof.struct proc_event", CnProc.PROC_EVENT_HEADER_SIZE + CnProc.exit_size);
        Check("struct proc_event.what", CnProc.proc_event_what);
        Check("struct proc_event.cpu", CnProc.proc_event_cpu);
        Check("struct proc_event.timestamp_ns", CnProc.proc_event_timestamp_ns);
        Check("struct proc_event.event_data", CnProc.proc_event_data);
        Check("struct proc_event.event_data", CnProc.PROC_EVENT_HEADER_SIZE);
    }

    [Fact]
    public void UnionMemberSizes()
    {
        Check("sizeof.event_data.ack", CnProc.ack_size);
        Check("sizeof.event_data.fork", CnProc.fork_size);
        Check("sizeof.event_data.exec", CnProc.exec_size);
        Check("sizeof.event_data.id", CnProc.id_size);
        Check("sizeof.event_data.sid", CnProc.sid_size);
        Check("sizeof.event_data.ptrace", CnProc.ptrace_size);
        Check("sizeof.event_data.comm", CnProc.comm_size);
        Check("sizeof.event_data.comm.comm", CnProc.TASK_COMM_LEN);
        Check("sizeof.event_data.coredump", CnProc.coredump_size);
        Check("sizeof.event_data.exit", CnProc.exit_size);
    }

    /// <summary>The offsets ConnectorDatagramReader reads each field at (ReadInt(body, N)).</summary>
    [Theory]
    [InlineData("ack.err", 0)]
    [InlineData("fork.parent_pid", 0)]
    [InlineData("fork.parent_tgid", 4)]
    [InlineData("fork.child_pid", 8)]
    [InlineData("fork.child_tgid", 12)]
    [InlineData("exec.process_pid", 0)]
    [InlineData("exec.process_tgid", 4)]
    [InlineData("id.process_pid", 0)]
    [InlineData("id.process_tgid", 4)]
    [InlineData("id.r.ruid", 8)]
    [InlineData("id.r.rgid", 8)]
    [InlineData("id.e.euid", 12)]
    [InlineData("id.e.egid", 12)]
    [InlineData("sid.process_pid", 0)]
    [InlineData("sid.process_tgid", 4)]
    [InlineData("ptrace.process_pid", 0)]
    [InlineData("ptrace.process_tgid", 4)]
    [InlineData("ptrace.tracer_pid", 8)]
    [InlineData("ptrace.tracer_tgid", 12)]
    [InlineData("comm.process_pid", 0)]
    [InlineData("comm.process_tgid", 4)]
    [InlineData("comm.comm", 8)]
    [InlineData("coredump.process_pid", 0)]
    [InlineData("coredump.process_tgid", 4)]
    [InlineData("coredump.parent_pid", 8)]
    [InlineData("coredump.parent_tgid", 12)]
    [InlineData("exit.process_pid", 0)]
    [InlineData("exit.process_tgid", 4)]
    [InlineData("exit.exit_code", 8)]
    [InlineData("exit.exit_signal", 12)]
    [InlineData("exit.parent_pid", 16)]
    [InlineData("exit.parent_tgid", 20)]
    public void UnionMemberOffsets(string field, int offset) => Check("event_data." + field, offset);

    [Fact]
    public void Libc_Constants()
    {
        Check("AF_NETLINK", Libc.AF_NETLINK);
        Check("SOCK_DGRAM", Libc.SOCK_DGRAM);
        Check("SOCK_CLOEXEC", Libc.SOCK_CLOEXEC);
        Check("SOL_SOCKET", Libc.SOL_SOCKET);
        Check("SO_RCVBUF", Libc.SO_RCVBUF);
        Check("SO_RCVBUFFORCE", Libc.SO_RCVBUFFORCE);
        Check("SOL_NETLINK", Libc.SOL_NETLINK);
        Check("NETLINK_NO_ENOBUFS", Libc.NETLINK_NO_ENOBUFS);
        Check("MSG_DONTWAIT", Libc.MSG_DONTWAIT);
        Check("POLLIN", Libc.POLLIN);
        Check("EFD_CLOEXEC", Libc.EFD_CLOEXEC);
        Check("EFD_NONBLOCK", Libc.EFD_NONBLOCK);
        Check("CLOCK_REALTIME", Libc.CLOCK_REALTIME);
        Check("CLOCK_MONOTONIC", Libc.CLOCK_MONOTONIC);
        Check("sizeof.struct pollfd", Marshal.SizeOf<Libc.pollfd>());
        Check("sizeof.struct timespec", Marshal.SizeOf<Libc.timespec>());
    }
}
