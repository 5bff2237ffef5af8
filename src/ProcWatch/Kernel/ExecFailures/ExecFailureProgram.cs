using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.ExecFailures;

/// <summary>
/// The loaded and attached exec_failure.bpf.o: its sys_exit program, tp_btf else raw_tp (both
/// attach without tracefs), its ring and its per-CPU counters. Not pinned: closing it, or
/// the death of the process, detaches it.
/// </summary>
internal sealed unsafe class ExecFailureProgram : IDisposable
{
    internal const string ResourceName = "ExecFailures.BpfObject";

    /// <summary>(mode, program in exec_failure.bpf.c), best first.</summary>
    internal static readonly (string Mode, string Program)[] AttachLadder =
    [
        ("tp_btf", "execfail_exit_btf"),
        ("raw_tp", "execfail_exit_raw"),
    ];

    private readonly SafeBpfObjectHandle _object;
    private readonly SafeBpfLinkHandle _link;
    private readonly int _possibleCpus;

    private ExecFailureProgram(SafeBpfObjectHandle obj, SafeBpfLinkHandle link, int cpus, string mode, int events, int counters)
    {
        _object = obj;
        _link = link;
        _possibleCpus = cpus;
        AttachMode = mode;
        EventsFd = events;
        CountersFd = counters;
    }

    internal string AttachMode { get; }

    internal int EventsFd { get; }

    internal int CountersFd { get; }

    internal static bool IsEmbedded => BpfObjectParts.IsEmbedded(ResourceName);

    /// <param name="kind">Why not, as the exit codes sort it (privilege or the kernel), when false.</param>
    internal static bool TryLoad([NotNullWhen(true)] out ExecFailureProgram? program, [NotNullWhen(false)] out string? reason, out FailureKind kind)
    {
        program = null;
        kind = FailureKind.KernelUnsupported;
        if (!EbpfPrerequisites.TryCheck(out Failure prerequisite))
        {
            kind = prerequisite.Kind;
            reason = FailureText.OneLine(prerequisite);
            return false;
        }
        byte[]? image = BpfObjectParts.ReadEmbedded(ResourceName);
        if (image is null)
        {
            reason = "the failed-exec eBPF object is not built into this procwatch (build it with clang and libbpf-dev installed)";
            return false;
        }
        var failures = new List<string>();
        foreach ((string mode, string name) in AttachLadder)
        {
            if (TryLoadOne(image, mode, name, out program, out string? why))
            {
                reason = null;
                return true;
            }
            failures.Add(mode + ": " + why);
        }
        reason = string.Join("; ", failures);
        return false;
    }

    private static bool TryLoadOne(byte[] image, string mode, string programName,
        [NotNullWhen(true)] out ExecFailureProgram? program, [NotNullWhen(false)] out string? reason)
    {
        program = null;
        LibbpfLog.Install();
        LibbpfLog.Clear();
        SafeBpfObjectHandle? obj = null;
        SafeBpfLinkHandle? link = null;
        try
        {
            fixed (byte* p = image)
            {
                obj = new SafeBpfObjectHandle(Libbpf.bpf_object__open_mem(p, (nuint)image.Length, null));
                if (obj.IsInvalid)
                {
                    reason = Describe("opening the failed-exec eBPF object", Marshal.GetLastPInvokeError());
                    return false;
                }
                nint o = obj.DangerousGetHandle();
                nint prog = Libbpf.bpf_object__find_program_by_name(o, programName);
                nint scratch = Libbpf.bpf_object__find_map_by_name(o, "execfail_scratch");
                nint events = Libbpf.bpf_object__find_map_by_name(o, "execfail_events");
                nint counters = Libbpf.bpf_object__find_map_by_name(o, "execfail_counters");
                int cpus = Libbpf.libbpf_num_possible_cpus();
                if (prog == 0 || scratch == 0 || events == 0 || counters == 0 || cpus <= 0)
                {
                    reason = "the embedded failed-exec eBPF object lacks " + programName + " or its maps (stale build?)";
                    return false;
                }
                foreach ((_, string other) in AttachLadder)
                {
                    if (other != programName)
                        Libbpf.bpf_program__set_autoload(Libbpf.bpf_object__find_program_by_name(o, other), false);
                }
                int rc = Libbpf.bpf_map__set_max_entries(scratch, (uint)cpus);
                if (rc != 0)
                {
                    reason = Describe("sizing the failed-exec maps", -rc);
                    return false;
                }
                rc = Libbpf.bpf_object__load(o);
                if (rc != 0)
                {
                    reason = Describe("loading " + mode + " program " + programName, -rc);
                    return false;
                }
                link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(prog));
                if (link.IsInvalid)
                {
                    reason = Describe("attaching " + mode + " program " + programName, Marshal.GetLastPInvokeError());
                    return false;
                }
                program = new ExecFailureProgram(obj, link, cpus, mode, Libbpf.bpf_map__fd(events), Libbpf.bpf_map__fd(counters));
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

    /// <summary>Sums one per-CPU counter.</summary>
    internal ulong ReadCounter(exec_failure_counter index)
    {
        return BpfObjectParts.SumPerCpu(CountersFd, (uint)index, _possibleCpus);
    }

    public void Dispose()
    {
        _link.Dispose();
        _object.Dispose();
    }


    private static string Describe(string step, int errno)
    {
        string detail = LibbpfLog.LastWarning is { } last && !last.StartsWith("failed to load object", StringComparison.Ordinal) ? "; libbpf: " + last : "";
        return step + " failed: " + Marshal.GetPInvokeErrorMessage(errno) + detail;
    }
}
