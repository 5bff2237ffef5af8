using System.Diagnostics;
using ProcWatch.Daemon.Flood;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>The per-user flood bound: one alert per user and minute, cuts counted, rules' view untouched, table bounded.</summary>
public sealed class UserFloodGuardTests
{
    private static readonly DateTimeOffset When = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private long _now = 1;

    private UserFloodGuard Guard(long bytesPerMinute = 20_000, int kept = 100, int users = 16) =>
        new(new FloodSettings { BytesPerMinute = bytesPerMinute, ArgvKeptBytes = kept, MaxUsers = users }, () => _now);

    private static ExecEvent Exec(uint uid, int argBytes) => new()
    {
        KernelTimeNs = 0, Timestamp = When, Pid = 100, Tid = 100,
        Process = new ProcessInfo
        {
            Pid = 100, Name = "true", Executable = "/usr/bin/true", User = new IdName(uid, "u" + uid),
            Args = ["/bin/true", new string('a', argBytes), new string('b', argBytes)],
            Parent = new ParentInfo { Pid = 99, Args = ["bash", new string('p', argBytes)] },
        },
    };

    /// <summary>The fleet store says a row was cut, as the JSON line does: a cut row never looks whole.</summary>
    [Fact]
    public void A_cut_event_is_marked_in_its_clickhouse_row_too()
    {
        UserFloodGuard guard = Guard();
        ExecEvent original = Exec(1001, 5_000);
        guard.Admit(original, out _, out _);
        guard.Admit(original, out ProcessEvent cut, out _);
        var rows = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new ProcWatch.Daemon.Outputs.ClickHouse.ClickHouseRowWriter("h");
        writer.Write(original, null, rows);
        writer.Write(cut, null, rows);
        string[] lines = System.Text.Encoding.UTF8.GetString(rows.WrittenSpan).TrimEnd('\n').Split('\n');
        Assert.False(System.Text.Json.JsonDocument.Parse(lines[0]).RootElement.TryGetProperty("procwatch.flood_cut_bytes", out _));
        Assert.Equal(cut.FloodCutBytes, System.Text.Json.JsonDocument.Parse(lines[1]).RootElement.GetProperty("procwatch.flood_cut_bytes").GetInt32());
        Assert.Contains(ProcWatch.Daemon.Outputs.ClickHouse.ClickHouseSchema.Columns, c => c.Name == "procwatch.flood_cut_bytes");
    }

    [Fact]
    public void Under_the_bound_events_are_written_whole()
    {
        UserFloodGuard guard = Guard();
        ExecEvent e = Exec(1001, 100);
        Assert.Equal(FloodVerdict.Whole, guard.Admit(e, out ProcessEvent written, out _));
        Assert.Same(e, written);
        Assert.Equal(0, guard.Alerts);
    }

    [Fact]
    public void Past_the_bound_one_alert_then_cuts_counted_and_the_original_is_untouched()
    {
        UserFloodGuard guard = Guard();
        var verdicts = new List<FloodVerdict>();
        ProcessEvent last = null!;
        ExecEvent original = Exec(1001, 5_000);
        for (int i = 0; i < 5; i++)
        {
            verdicts.Add(guard.Admit(original, out last, out _));
        }
        Assert.Equal([FloodVerdict.Whole, FloodVerdict.CutAndAlert, FloodVerdict.Cut, FloodVerdict.Cut, FloodVerdict.Cut], verdicts);
        Assert.Equal(1, guard.Alerts);
        Assert.Equal(4, guard.CutEvents);
        Assert.True(last.FloodCutBytes > 14_000, $"cut {last.FloodCutBytes}");
        Assert.Equal(4 * (long)last.FloodCutBytes, guard.CutBytes);
        int kept = 0;
        foreach (string arg in last.Process!.Args!) kept += arg.Length;
        Assert.Equal(100, kept);
        Assert.True(last.Process.ArgsTruncated);
        Assert.Equal(3, last.Process.ArgsCount);
        Assert.Equal(2, last.Process.Parent!.Args!.Count); // "bash" and 96 bytes of the long one
        Assert.Equal(5_000, original.Process!.Args![1].Length); // rules judge the original
        // Another user is not affected.
        Assert.Equal(FloodVerdict.Whole, guard.Admit(Exec(1002, 100), out _, out _));
    }

    [Fact]
    public void A_new_minute_starts_a_new_window_and_a_new_alert()
    {
        UserFloodGuard guard = Guard();
        for (int i = 0; i < 3; i++) guard.Admit(Exec(1001, 5_000), out _, out _);
        _now += Stopwatch.Frequency * 61;
        Assert.Equal(FloodVerdict.Whole, guard.Admit(Exec(1001, 100), out _, out _));
        for (int i = 0; i < 3; i++) guard.Admit(Exec(1001, 5_000), out _, out _);
        Assert.Equal(2, guard.Alerts);
    }

    [Fact]
    public void The_user_table_is_bounded()
    {
        UserFloodGuard guard = Guard(users: 16);
        for (uint uid = 0; uid < 10_000; uid++)
            guard.Admit(Exec(uid, 10), out _, out _);
        Assert.True(guard.TrackedUsers <= 17, $"{guard.TrackedUsers} users tracked");
        _now += Stopwatch.Frequency * 61; // expired windows make room again
        guard.Admit(Exec(123_456, 10), out _, out _);
        Assert.True(guard.TrackedUsers <= 17);
    }

    [Fact]
    public void Zero_turns_flood_control_off()
    {
        UserFloodGuard guard = Guard(bytesPerMinute: 0);
        for (int i = 0; i < 10; i++)
            Assert.Equal(FloodVerdict.Whole, guard.Admit(Exec(1001, 50_000), out _, out _));
    }
}
