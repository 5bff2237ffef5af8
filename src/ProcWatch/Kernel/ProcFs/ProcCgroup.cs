using ProcWatch.Interop;
using ProcWatch.Text;

namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// /proc/PID/cgroup: the process's cgroup path (the unified v2 hierarchy "0::/path" when
/// present, else the first v1 line) and the container id found in it.
/// </summary>
internal static class ProcCgroup
{
    public static bool TryRead(int pid, out string path)
    {
        Span<byte> file = stackalloc byte[ProcPath.MaxLength];
        ProcPath.Format(file, pid, "cgroup"u8);
        return TryRead(Libc.AT_FDCWD, file, out path, out _);
    }

    /// <param name="unified">True when the path is the cgroup v2 one (the "0::" line).</param>
    internal static bool TryRead(int dirFd, ReadOnlySpan<byte> pathNul, out string path, out bool unified)
    {
        path = string.Empty;
        unified = false;
        Span<byte> initial = stackalloc byte[1024];
        if (!ProcFile.TryRead(dirFd, pathNul, initial, out ProcFile file, out _))
            return false;
        using (file)
            return TryParse(file.Content, out path, out unified);
    }

    public static bool TryParse(ReadOnlySpan<byte> content, out string path) => TryParse(content, out path, out _);

    public static bool TryParse(ReadOnlySpan<byte> content, out string path, out bool isUnified)
    {
        isUnified = false;
        ReadOnlySpan<byte> chosen = default;
        bool found = false;
        foreach (Range range in content.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = content[range];
            // hierarchy-ID:controller-list:cgroup-path
            int first = line.IndexOf((byte)':');
            if (first < 0)
                continue;
            int second = line[(first + 1)..].IndexOf((byte)':');
            if (second < 0)
                continue;
            ReadOnlySpan<byte> cgroupPath = line[(first + second + 2)..];
            bool unified = line.StartsWith("0::"u8);
            if (!found || unified)
            {
                chosen = cgroupPath;
                found = true;
            }
            if (unified)
            {
                isUnified = true;
                break;
            }
        }
        path = found ? ProcText.Decode(chosen) : string.Empty;
        return found;
    }
}

/// <summary>
/// Finds a container id in a cgroup path, for the runtimes' naming schemes:
/// docker (<c>/docker/ID</c>, <c>docker-ID.scope</c>), containerd (<c>cri-containerd-ID.scope</c>,
/// and <c>/NAMESPACE/ID</c> for containers it runs itself, confirmed by its task directory),
/// cri-o (<c>crio-ID.scope</c>), podman (<c>libpod-ID.scope</c>, <c>/libpod-ID</c>) and
/// kubernetes (<c>/kubepods/.../podUID/ID</c>). The innermost match wins. Conmon scopes
/// (<c>libpod-conmon-ID</c>, <c>crio-conmon-ID</c>) are the runtime's monitor, not the container.
/// </summary>
internal static class ContainerId
{
    private static readonly (string Prefix, ContainerRuntimeKind Kind)[] Prefixes =
    [
        ("docker-", ContainerRuntimeKind.Docker), ("cri-containerd-", ContainerRuntimeKind.Containerd),
        ("crio-", ContainerRuntimeKind.Crio), ("libpod-", ContainerRuntimeKind.Podman), ("containerd-", ContainerRuntimeKind.Containerd),
    ];

    public static string? FromCgroupPath(string path) => TryParse(path, out ContainerRef container) ? container.Id : null;

    /// <summary>The container a cgroup path names, with the runtime its naming scheme points to.</summary>
    public static bool TryParse(string path, out ContainerRef container)
    {
        ReadOnlySpan<char> rest = path;
        while (!rest.IsEmpty)
        {
            int slash = rest.LastIndexOf('/');
            ReadOnlySpan<char> segment = rest[(slash + 1)..];
            rest = slash < 0 ? default : rest[..slash];
            if (segment.EndsWith(".scope"))
                segment = segment[..^".scope".Length];
            if (segment.Contains("conmon", StringComparison.Ordinal))
                continue;
            ContainerRuntimeKind kind = ContainerRuntimeKind.Unknown;
            foreach ((string prefix, ContainerRuntimeKind prefixKind) in Prefixes)
            {
                if (segment.StartsWith(prefix, StringComparison.Ordinal))
                {
                    segment = segment[prefix.Length..];
                    kind = prefixKind;
                    break;
                }
            }
            if (IsId(segment))
            {
                if (kind == ContainerRuntimeKind.Unknown)
                    kind = ParentSegment(rest) is "docker" ? ContainerRuntimeKind.Docker : ContainerRuntimeKind.Unknown;
                container = new ContainerRef(segment.ToString(), kind, kind == ContainerRuntimeKind.Containerd ? "k8s.io" : null);
                return true;
            }
        }
        return ContainerdCgroup.TryParse(path, out container);
    }

    /// <summary>
    /// True when <paramref name="path"/> lies in a user's delegated subtree (systemd's
    /// <c>user@UID.service</c>), where that user names the cgroups: a name there proves nothing
    /// about a root runtime's container (rootless containers live there too, as the user's).
    /// </summary>
    public static bool IsInUserSubtree(string path)
    {
        ReadOnlySpan<char> rest = path;
        while (true)
        {
            int at = rest.IndexOf("/user@", StringComparison.Ordinal);
            if (at < 0)
                return false;
            rest = rest[(at + "/user@".Length)..];
            int digits = 0;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
                digits++;
            if (digits > 0 && rest[digits..].StartsWith(".service", StringComparison.Ordinal))
            {
                ReadOnlySpan<char> after = rest[(digits + ".service".Length)..];
                if (after.IsEmpty || after[0] == '/')
                    return true;
            }
        }
    }

    private static string? ParentSegment(ReadOnlySpan<char> rest)
    {
        int slash = rest.LastIndexOf('/');
        ReadOnlySpan<char> parent = rest[(slash + 1)..];
        return parent.SequenceEqual("docker") ? "docker" : null;
    }

    private static bool IsId(ReadOnlySpan<char> s)
    {
        if (s.Length != 64)
            return false;
        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigitLower(c))
                return false;
        }
        return true;
    }
}

/// <summary>Which runtime a container's cgroup path points to.</summary>
internal enum ContainerRuntimeKind
{
    /// <summary>A bare id (kubernetes' kubepods tree): containerd's or CRI-O's.</summary>
    Unknown,
    Docker,
    Podman,
    Containerd,
    Crio,
}

/// <summary>A container named by a cgroup path: its id, the runtime the path points to, and containerd's namespace when known.</summary>
internal readonly record struct ContainerRef(string Id, ContainerRuntimeKind Runtime, string? Namespace);
