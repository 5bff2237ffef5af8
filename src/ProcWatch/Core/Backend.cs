namespace ProcWatch;

/// <summary>Which mechanism produces the events (CLI <c>--backend</c>).</summary>
public enum Backend
{
    /// <summary>
    /// The best that works here: the proc connector if a probe sees its events, with eBPF exec
    /// capture when it loads (exact argv), else argv from /proc; procfs when the connector is deaf.
    /// </summary>
    Auto,
    /// <summary>The netlink proc connector (needs the host's namespaces and CAP_NET_ADMIN: root).</summary>
    Connector,
    /// <summary>The proc connector with eBPF exec capture (exact argv); an error when eBPF cannot load.</summary>
    Ebpf,
    /// <summary>/proc scanning woken by inotify and a timer: works anywhere, misses very short processes.</summary>
    Procfs,
}
