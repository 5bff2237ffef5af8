using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The loaded and attached exec_capture.bpf.o: open from the embedded object, size the maps,
/// load (CO-RE relocation against the kernel's BTF, verification), attach to the tracepoint.
/// </summary>
internal sealed unsafe class ExecCaptureProgram : IDisposable
{
    internal const string ResourceName = "ExecCapture.BpfObject";
    private const string ProgramName = "handle_exec";
    private const string EventsMap = "events";
    private const string ScratchMap = "scratch";
    private const string CountersMap = "counters";
    private const string SettingsMap = "settings";

    private const int EPERM = 1;

    private readonly SafeBpfObjectHandle _object;
    private readonly SafeBpfLinkHandle _link;
    private readonly int _possibleCpus;

    private ExecCaptureProgram(SafeBpfObjectHandle obj, SafeBpfLinkHandle link, int eventsFd, int countersFd, int possibleCpus)
    {
        _object = obj;
        _link = link;
        EventsMapFd = eventsFd;
        CountersMapFd = countersFd;
        _possibleCpus = possibleCpus;
    }

    /// <summary>The BPF_MAP_TYPE_RINGBUF map; valid while this object lives.</summary>
    internal int EventsMapFd { get; }

    private int CountersMapFd { get; }

    internal static bool IsEmbedded => typeof(ExecCaptureProgram).Assembly.GetManifestResourceInfo(ResourceName) is not null;

    internal static bool TryLoad(int ringBufferBytes, exec_settings settings, [NotNullWhen(true)] out ExecCaptureProgram? program, [NotNullWhen(false)] out string? reason)
    {
        program = null;
        byte[]? image = ReadEmbeddedObject();
        if (image is null)
        {
            reason = "the eBPF object is not built into this procwatch (build it with clang and libbpf-dev installed)";
            return false;
        }

        LibbpfLog.Install();
        LibbpfLog.Clear();
        SafeBpfObjectHandle? obj = null;
        SafeBpfLinkHandle? link = null;
        try
        {
            fixed (byte* p = image)
            {
                // libbpf parses the ELF in place until bpf_object__load returns.
                obj = new SafeBpfObjectHandle(Libbpf.bpf_object__open_mem(p, (nuint)image.Length, null));
                if (obj.IsInvalid)
                {
                    reason = Describe("opening the eBPF object", Marshal.GetLastPInvokeError());
                    return false;
                }
                nint obj_ = obj.DangerousGetHandle();
                int cpus = Libbpf.libbpf_num_possible_cpus();
                if (cpus <= 0)
                {
                    reason = Describe("counting possible CPUs", -cpus);
                    return false;
                }
                nint events = Libbpf.bpf_object__find_map_by_name(obj_, EventsMap);
                nint scratch = Libbpf.bpf_object__find_map_by_name(obj_, ScratchMap);
                nint counters = Libbpf.bpf_object__find_map_by_name(obj_, CountersMap);
                nint settingsMap = Libbpf.bpf_object__find_map_by_name(obj_, SettingsMap);
                nint prog = Libbpf.bpf_object__find_program_by_name(obj_, ProgramName);
                if (events == 0 || scratch == 0 || counters == 0 || settingsMap == 0 || prog == 0)
                {
                    reason = "the embedded eBPF object lacks its maps or program (stale build?)";
                    return false;
                }
                int rc = Libbpf.bpf_map__set_max_entries(events, (uint)ringBufferBytes);
                if (rc == 0)
                {
                    rc = Libbpf.bpf_map__set_max_entries(scratch, (uint)cpus);
                }
                if (rc != 0)
                {
                    reason = Describe("sizing the eBPF maps", -rc);
                    return false;
                }
                rc = Libbpf.bpf_object__load(obj_);
                if (rc != 0)
                {
                    reason = Describe("loading the eBPF program", -rc);
                    return false;
                }
                uint key = 0;
                rc = Libbpf.bpf_map_update_elem(Libbpf.bpf_map__fd(settingsMap), &key, &settings, 0);
                if (rc != 0)
                {
                    reason = Describe("configuring the eBPF program", -rc);
                    return false;
                }
                link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(prog));
                if (link.IsInvalid)
                {
                    reason = Describe("attaching to tracepoint sched/sched_process_exec", Marshal.GetLastPInvokeError());
                    return false;
                }
                program = new ExecCaptureProgram(obj, link, Libbpf.bpf_map__fd(events), Libbpf.bpf_map__fd(counters), cpus);
                reason = null;
                return true;
            }
        }
        finally
        {
            if (program is null)
            {
                link?.Dispose();
                obj?.Dispose();
            }
        }
    }

    /// <summary>Sums one per-CPU counter of the program (exec_capture.h EXEC_COUNTER_*).</summary>
    internal ulong ReadCounter(uint index)
    {
        // Per-CPU values come back as one 8-byte slot per possible CPU.
        Span<ulong> values = _possibleCpus <= 256 ? stackalloc ulong[_possibleCpus] : new ulong[_possibleCpus];
        bool added = false;
        _object.DangerousAddRef(ref added);
        try
        {
            fixed (ulong* v = values)
            {
                if (Libbpf.bpf_map_lookup_elem(CountersMapFd, &index, v) != 0)
                {
                    return 0;
                }
            }
        }
        finally
        {
            if (added)
            {
                _object.DangerousRelease();
            }
        }
        ulong sum = 0;
        foreach (ulong value in values)
        {
            sum += value;
        }
        return sum;
    }

    public void Dispose()
    {
        _link.Dispose();
        _object.Dispose();
    }

    private static byte[]? ReadEmbeddedObject()
    {
        using Stream? stream = typeof(ExecCaptureProgram).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null)
        {
            return null;
        }
        byte[] image = new byte[stream.Length];
        stream.ReadExactly(image);
        return image;
    }

    private static string Describe(string step, int errno)
    {
        if (EbpfPrerequisites.IsConfidentialityLockdown())
        {
            return "kernel lockdown (confidentiality) forbids eBPF tracing";
        }
        if (errno == EPERM)
        {
            return EbpfPrerequisites.NeedsCapabilities;
        }
        string detail = LibbpfLog.LastWarning is { } last ? "; libbpf: " + last : "";
        return step + " failed: " + Marshal.GetPInvokeErrorMessage(errno) + detail;
    }
}
