using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>Mirror of <c>struct conn_count</c> in bpf/exec_capture.h: one CPU's counts of one window.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct conn_count
{
    internal const int Size = 32;
    internal const int Slots = 16;  // CONN_COUNT_SLOTS
    internal const int Kinds = 3;   // CONN_COUNT_FORK, _EXEC, _EXIT: the order of Lifecycle

    public ulong window;
    public fixed ulong count[Kinds];
}

/// <summary>Mirror of <c>struct conn_count_settings</c>: when counting began and which kinds.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct conn_count_settings
{
    internal const int Size = 16;

    public ulong from_ns;
    public uint what_mask;
    public uint pad;
}

/// <summary>
/// The connector counting filter of exec_capture.bpf.o (bpf/hook_connector.c), loaded with the
/// capture: its program, attached by the connector to its own socket (SO_ATTACH_BPF), counts the
/// process forks, execs and exits the ring delivers and drops them; this reads its per-CPU,
/// per-window counts for <see cref="LifecycleCrossCheck"/>. The fds live as long as the object
/// (<paramref name="owner"/>); a read after it is gone reads nothing.
/// </summary>
internal sealed unsafe class ConnectorCountMap(SafeHandle owner, int programFd, int countsFd, int settingsFd, int possibleCpus) : IKernelLifecycleCounter
{
    /// <summary>PROCWATCH_CONNECTOR_COUNT=user: count in user space as before (the fallback, to test it or work around a kernel bug).</summary>
    internal const string Variable = "PROCWATCH_CONNECTOR_COUNT";

    internal const string ProgramName = "count_connector";
    internal const string CountsMap = "conn_counts";
    internal const string SettingsMap = "conn_count_settings";

    /// <summary>Whether the environment asks for the user-space count.</summary>
    internal static bool DisabledByEnvironment => Environment.GetEnvironmentVariable(Variable) == "user";

    public int ProgramFd { get; } = programFd;

    public bool Begin(long fromNs, uint whatMask)
    {
        var settings = new conn_count_settings { from_ns = (ulong)fromNs, what_mask = whatMask };
        uint key = 0;
        if (!TryAddRef())
            return false;
        try
        {
            return Libbpf.bpf_map_update_elem(settingsFd, &key, &settings, 0) == 0;
        }
        finally
        {
            owner.DangerousRelease();
        }
    }

    /// <remarks>Each CPU's slot counts only while it holds that window: CPUs whose slot holds another are skipped.</remarks>
    public bool ReadWindow(long window, Span<long> counts)
    {
        int cpus = possibleCpus;
        conn_count[] values = _values ??= new conn_count[cpus];
        uint slot = (uint)(window % conn_count.Slots);
        if (!TryAddRef())
            return false;
        try
        {
            fixed (conn_count* v = values)
            {
                if (Libbpf.bpf_map_lookup_elem(countsFd, &slot, v) != 0)
                    return false;
            }
        }
        finally
        {
            owner.DangerousRelease();
        }
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            ref conn_count value = ref values[cpu];
            if (value.window != (ulong)window)
                continue;
            for (int k = 0; k < conn_count.Kinds; k++)
                counts[k] += (long)value.count[k];
        }
        return true;
    }

    private conn_count[]? _values; // the tick thread's: one read at a time

    /// <summary>Keeps the object (and so the map fds) alive for one call; false once it is gone.</summary>
    private bool TryAddRef()
    {
        bool added = false;
        try
        {
            owner.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return added;
    }
}
