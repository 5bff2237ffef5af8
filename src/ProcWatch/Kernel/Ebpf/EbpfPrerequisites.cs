using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Cheap checks made before touching the kernel, each giving the one-line reason a user
/// needs ("why is there no eBPF?") instead of an errno from deep inside libbpf.
/// </summary>
internal static class EbpfPrerequisites
{
    internal const string DisableVariable = "PROCWATCH_NO_EBPF";
    internal const string VmlinuxBtfPath = "/sys/kernel/btf/vmlinux";
    internal const string LockdownPath = "/sys/kernel/security/lockdown";
    internal const string NeedsCapabilities = "needs CAP_BPF and CAP_PERFMON (or root)";

    private const int CAP_SYS_ADMIN = 21;
    private const int CAP_PERFMON = 38;
    private const int CAP_BPF = 39;

    /// <summary>The reason is missing privilege (exit code 3), not a kernel that lacks the mechanism.</summary>
    internal static bool IsPrivilegeReason(string reason) => reason.Contains(NeedsCapabilities, StringComparison.Ordinal);

    internal static bool TryCheck([NotNullWhen(false)] out string? reason)
    {
        string? disabled = Environment.GetEnvironmentVariable(DisableVariable);
        if (!string.IsNullOrEmpty(disabled) && disabled != "0")
        {
            reason = "disabled by " + DisableVariable;
            return false;
        }
        if (!OperatingSystem.IsLinux())
        {
            reason = "eBPF needs Linux";
            return false;
        }
        if (!NativeLibrary.TryLoad(Libbpf.Name, out nint libbpf))
        {
            reason = "libbpf.so.1 not found (install libbpf1)";
            return false;
        }
        NativeLibrary.Free(libbpf);
        if (!File.Exists(VmlinuxBtfPath))
        {
            reason = "kernel has no BTF (" + VmlinuxBtfPath + " missing; needs CONFIG_DEBUG_INFO_BTF)";
            return false;
        }
        if (!HasCapabilities())
        {
            reason = NeedsCapabilities;
            return false;
        }
        reason = null;
        return true;
    }

    /// <summary>"[confidentiality]" lockdown removes the helpers that read kernel memory.</summary>
    internal static bool IsConfidentialityLockdown()
    {
        try
        {
            return File.ReadAllText(LockdownPath).Contains("[confidentiality]", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (tracing programs need both), in CapEff.</summary>
    private static bool HasCapabilities()
    {
        if (!TryReadEffectiveCapabilities(out ulong effective))
        {
            return true; // cannot tell; let the kernel decide
        }
        bool Has(int cap) => (effective & (1UL << cap)) != 0;
        return Has(CAP_SYS_ADMIN) || (Has(CAP_BPF) && Has(CAP_PERFMON));
    }

    private static bool TryReadEffectiveCapabilities(out ulong caps)
    {
        caps = 0;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                {
                    return ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out caps);
                }
            }
        }
        catch (IOException)
        {
        }
        return false;
    }
}
