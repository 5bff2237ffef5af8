using System.Globalization;
using System.Runtime.InteropServices;
using ProcWatch.Core;
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

    private const int CAP_SYS_ADMIN = 21;
    private const int CAP_PERFMON = 38;
    private const int CAP_BPF = 39;
    private const int ENOENT = 2;
    private const int EPERM = 1;

    /// <summary>False with the <paramref name="failure"/> that stops eBPF before it is tried.</summary>
    internal static bool TryCheck(out Failure failure)
    {
        string? disabled = Environment.GetEnvironmentVariable(DisableVariable);
        if (!string.IsNullOrEmpty(disabled) && disabled != "0")
            return Fail(new Failure(FailureKind.KernelUnsupported, 0, FailureStep.DisabledByEnvironment, DisableVariable), out failure);
        if (!OperatingSystem.IsLinux())
            return Fail(new Failure(FailureKind.PlatformNotSupported, 0, FailureStep.NotLinux, "eBPF"), out failure);
        if (!NativeLibrary.TryLoad(Libbpf.Name, out nint libbpf))
            return Fail(new Failure(FailureKind.KernelUnsupported, ENOENT, FailureStep.FindLibbpf, Libbpf.Name), out failure);
        NativeLibrary.Free(libbpf);
        if (!File.Exists(VmlinuxBtfPath))
            return Fail(new Failure(FailureKind.KernelUnsupported, ENOENT, FailureStep.FindKernelBtf, VmlinuxBtfPath), out failure);
        if (!HasCapabilities())
            return Fail(new Failure(FailureKind.NoPrivilege, EPERM, FailureStep.BpfCapabilities), out failure);
        failure = default;
        return true;
    }

    private static bool Fail(Failure found, out Failure failure)
    {
        failure = found;
        return false;
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
