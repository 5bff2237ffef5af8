using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The loaded and attached deny.bpf.o: one hook of <see cref="AttachLadder"/>, best first, in
/// a fresh object each (a hook that does not verify or attach here costs nothing). Not pinned:
/// closing it, or the death of the process, detaches it and exec is free again.
/// </summary>
internal sealed unsafe class DenyProgram : IDisposable
{
    internal const string ResourceName = "DenyEnforcement.BpfObject";

    /// <summary>Restricts the ladder ("tp_btf", "fentry,tp_btf"): for tests of each level, or to avoid one.</summary>
    internal const string AttachVariable = "PROCWATCH_DENY_ATTACH";

    /// <summary>(mode as doctor names it, program in deny.bpf.c, the level it gives), best first.</summary>
    internal static readonly (string Mode, string Program, EnforcementLevel Level)[] AttachLadder =
    [
        ("lsm", "deny_lsm", EnforcementLevel.Lsm),               // BPF LSM: EPERM from execve
        ("fentry", "deny_fentry", EnforcementLevel.Signal),      // security_bprm_check: SIGKILL, scripts judged too
        ("tp_btf", "deny_exec_tp", EnforcementLevel.Signal),     // sched_process_exec: SIGKILL, the final program only
    ];

    private readonly SafeBpfObjectHandle _object;
    private readonly SafeBpfLinkHandle _link;
    private readonly int _possibleCpus;

    private DenyProgram(SafeBpfObjectHandle obj, SafeBpfLinkHandle link, int cpus, string mode, EnforcementLevel level, DenyMaps maps)
    {
        _object = obj;
        _link = link;
        _possibleCpus = cpus;
        AttachMode = mode;
        Level = level;
        Maps = maps;
    }

    internal string AttachMode { get; }

    internal EnforcementLevel Level { get; }

    /// <summary>Why each better hook failed ("lsm: reason"); empty when the best one loaded.</summary>
    internal IReadOnlyList<string> AttachFailures { get; private set; } = [];

    internal DenyMaps Maps { get; }

    internal static bool IsEmbedded => typeof(DenyProgram).Assembly.GetManifestResourceInfo(ResourceName) is not null;

    internal static bool TryLoad(IReadOnlyList<string>? allowedModes, [NotNullWhen(true)] out DenyProgram? program, [NotNullWhen(false)] out string? reason)
    {
        program = null;
        if (!EbpfPrerequisites.TryCheck(out reason))
            return false;
        byte[]? image = ReadEmbeddedObject();
        if (image is null)
        {
            reason = "the deny eBPF object is not built into this procwatch (build it with clang and libbpf-dev installed)";
            return false;
        }
        string[]? fromEnvironment = Environment.GetEnvironmentVariable(AttachVariable)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<string>? allowed = allowedModes ?? (fromEnvironment is { Length: > 0 } ? fromEnvironment : null);
        var failures = new List<string>();
        foreach ((string mode, string programName, EnforcementLevel level) in AttachLadder)
        {
            if (allowed is not null && !allowed.Contains(mode))
            {
                failures.Add(mode + ": not allowed by " + AttachVariable);
                continue;
            }
            if (TryLoadOne(image, mode, programName, level, out program, out string? why))
            {
                program.AttachFailures = failures;
                return true;
            }
            failures.Add(mode + ": " + why);
        }
        reason = string.Join("; ", failures);
        return false;
    }

    private static bool TryLoadOne(byte[] image, string mode, string programName, EnforcementLevel level,
        [NotNullWhen(true)] out DenyProgram? program, [NotNullWhen(false)] out string? reason)
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
                    reason = Describe("opening the deny eBPF object", Marshal.GetLastPInvokeError());
                    return false;
                }
                nint o = obj.DangerousGetHandle();
                nint prog = Libbpf.bpf_object__find_program_by_name(o, programName);
                nint scratch = Libbpf.bpf_object__find_map_by_name(o, "deny_scratch");
                int cpus = Libbpf.libbpf_num_possible_cpus();
                if (prog == 0 || scratch == 0 || cpus <= 0)
                {
                    reason = "the embedded deny eBPF object lacks " + programName + " (stale build?)";
                    return false;
                }
                foreach ((_, string other, _) in AttachLadder)
                {
                    if (other != programName)
                        Libbpf.bpf_program__set_autoload(Libbpf.bpf_object__find_program_by_name(o, other), false);
                }
                int rc = Libbpf.bpf_map__set_max_entries(scratch, (uint)cpus);
                if (rc != 0)
                {
                    reason = Describe("sizing the deny maps", -rc);
                    return false;
                }
                rc = Libbpf.bpf_object__load(o);
                if (rc != 0)
                {
                    reason = Describe("loading " + mode + " program " + programName, -rc);
                    return false;
                }
                if (!DenyMaps.TryFind(o, out DenyMaps? maps))
                {
                    reason = "the embedded deny eBPF object lacks its maps (stale build?)";
                    return false;
                }
                link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(prog));
                if (link.IsInvalid)
                {
                    reason = Describe("attaching " + mode + " program " + programName, Marshal.GetLastPInvokeError());
                    return false;
                }
                program = new DenyProgram(obj, link, cpus, mode, level, maps);
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
    internal ulong ReadCounter(deny_counter index)
    {
        Span<ulong> values = _possibleCpus <= 256 ? stackalloc ulong[_possibleCpus] : new ulong[_possibleCpus];
        fixed (ulong* v = values)
        {
            if (Libbpf.bpf_map_lookup_elem(Maps.Counters, &index, v) != 0)
                return 0;
        }
        ulong sum = 0;
        foreach (ulong value in values)
            sum += value;
        return sum;
    }

    public void Dispose()
    {
        _link.Dispose();
        _object.Dispose();
    }

    private static byte[]? ReadEmbeddedObject()
    {
        using Stream? stream = typeof(DenyProgram).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null)
            return null;
        byte[] image = new byte[stream.Length];
        stream.ReadExactly(image);
        return image;
    }

    private static string Describe(string step, int errno)
    {
        string detail = LibbpfLog.LastWarning is { } last && !last.Contains("permission error while running as root", StringComparison.Ordinal) && !last.StartsWith("failed to load object", StringComparison.Ordinal) ? "; libbpf: " + last : "";
        string why = Marshal.GetPInvokeErrorMessage(errno);
        if (errno == 1 && step.StartsWith("loading", StringComparison.Ordinal))
            why += " (the kernel refuses this program type here)";
        return step + " failed: " + why + detail;
    }
}
