using System.Buffers.Text;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Text;

namespace ProcWatch.Kernel.Accounts;

/// <summary>
/// User and group names from /etc/passwd and /etc/group, parsed once and cached. An unknown
/// id triggers a re-read at most every <see cref="RefreshInterval"/> (new accounts appear
/// without a restart; a flood of unknown ids costs nothing). Bounded: at most
/// <see cref="MaxEntries"/> names per file are kept. Thread-safe. Local files only: no NSS
/// (LDAP/SSSD) calls on the event path.
/// </summary>
internal sealed class AccountNames
{
    public const int MaxEntries = 65536;
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly NameFile _users;
    private readonly NameFile _groups;

    public AccountNames(string passwdPath = "/etc/passwd", string groupPath = "/etc/group")
    {
        _users = new NameFile(passwdPath);
        _groups = new NameFile(groupPath);
    }

    public static AccountNames Shared { get; } = new();

    public string? UserName(uint uid)
    {
        lock (_gate)
            return _users.Lookup(uid);
    }

    public string? GroupName(uint gid)
    {
        lock (_gate)
            return _groups.Lookup(gid);
    }

    /// <summary>The uid of a user name (for <c>-u NAME</c>); null when unknown.</summary>
    public uint? UserId(string name)
    {
        lock (_gate)
            return _users.Find(name);
    }

    private sealed class NameFile(string path)
    {
        private Dictionary<uint, string> _names = [];
        private long _loadedAt = long.MinValue;

        public string? Lookup(uint id)
        {
            if (_names.TryGetValue(id, out string? name))
                return name;
            if (!Reload())
                return null;
            return _names.GetValueOrDefault(id);
        }

        public uint? Find(string name)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                foreach (KeyValuePair<uint, string> pair in _names)
                {
                    if (pair.Value == name)
                        return pair.Key;
                }
                if (attempt == 0 && !Reload())
                    break;
            }
            return null;
        }

        private bool Reload()
        {
            long now = Environment.TickCount64;
            if (_loadedAt != long.MinValue && now - _loadedAt < (long)RefreshInterval.TotalMilliseconds)
                return false;
            _loadedAt = now;
            Span<byte> pathBytes = stackalloc byte[path.Length * 3 + 1];
            int n = System.Text.Encoding.UTF8.GetBytes(path, pathBytes);
            pathBytes[n] = 0;
            Span<byte> initial = stackalloc byte[4096];
            if (!ProcFile.TryRead(Libc.AT_FDCWD, pathBytes[..(n + 1)], initial, out ProcFile file, out _))
                return false;
            using (file)
                _names = Parse(file.Content);
            return true;
        }
    }

    /// <summary>Parses passwd/group lines "name:x:ID:..." into id → name (the first name of an id wins).</summary>
    public static Dictionary<uint, string> Parse(ReadOnlySpan<byte> content)
    {
        var names = new Dictionary<uint, string>();
        foreach (Range range in content.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = content[range];
            if (line.IsEmpty || line[0] == (byte)'#')
                continue;
            int c1 = line.IndexOf((byte)':');
            if (c1 <= 0)
                continue;
            ReadOnlySpan<byte> afterName = line[(c1 + 1)..];
            int c2 = afterName.IndexOf((byte)':');
            if (c2 < 0)
                continue;
            ReadOnlySpan<byte> idField = afterName[(c2 + 1)..];
            int c3 = idField.IndexOf((byte)':');
            if (c3 >= 0)
                idField = idField[..c3];
            if (!Utf8Parser.TryParse(idField, out uint id, out int consumed) || consumed != idField.Length)
                continue;
            if (names.Count >= MaxEntries)
                break;
            names.TryAdd(id, ProcText.Decode(line[..c1]));
        }
        return names;
    }
}
