using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>Owns a <c>struct bpf_object *</c>: closing it unloads the programs and maps.</summary>
internal sealed class SafeBpfObjectHandle : SafeHandle
{
    public SafeBpfObjectHandle() : base(0, ownsHandle: true) { }

    internal SafeBpfObjectHandle(nint obj) : this() => SetHandle(obj);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Libbpf.bpf_object__close(handle);
        return true;
    }
}

/// <summary>Owns a <c>struct bpf_link *</c>: destroying it detaches the program.</summary>
internal sealed class SafeBpfLinkHandle : SafeHandle
{
    public SafeBpfLinkHandle() : base(0, ownsHandle: true) { }

    internal SafeBpfLinkHandle(nint link) : this() => SetHandle(link);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => Libbpf.bpf_link__destroy(handle) == 0;
}
