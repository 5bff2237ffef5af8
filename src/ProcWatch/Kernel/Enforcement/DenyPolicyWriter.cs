using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Writes policies into the maps so that the kernel always judges by exactly one: the next
/// generation is written beside the one in force, <c>deny_active</c> flips to it in one 4-byte
/// store, and only then are the old generation's entries deleted (after a pause that outlasts
/// any hook already running with the old number). One writer at a time (a lock).
/// </summary>
internal sealed unsafe class DenyPolicyWriter(DenyMaps maps)
{
    /// <summary>Far longer than a hook runs (microseconds); the old entries are only garbage after it.</summary>
    private static readonly TimeSpan GracePeriod = TimeSpan.FromMilliseconds(20);

    private readonly Lock _gate = new();
    private readonly List<deny_key> _fileKeys = [];
    private readonly List<deny_key> _dirKeys = [];
    private uint _generation;
    private KernelPolicy _policy = KernelPolicy.Empty;

    /// <summary>Files added because their hash is denied (kept across reloads while the hash stays denied).</summary>
    private readonly Dictionary<FileIdentity, string> _hashed = [];

    internal uint Generation => Volatile.Read(ref _generation);

    internal KernelPolicy Policy => Volatile.Read(ref _policy);

    /// <summary>Never denied: these processes and these files.</summary>
    internal void Protect(IEnumerable<int> tgids, IEnumerable<FileIdentity> files)
    {
        byte one = 1;
        foreach (int tgid in tgids)
        {
            uint key = (uint)tgid;
            Check(Libbpf.bpf_map_update_elem(maps.ProtectedTgids, &key, &one, 0), "protecting a process");
        }
        foreach (FileIdentity file in files)
        {
            deny_key key = file.Key(0);
            Check(Libbpf.bpf_map_update_elem(maps.ProtectedFiles, &key, &one, 0), "protecting a file");
        }
    }

    /// <exception cref="IOException">A map refused an entry; the policy in force is unchanged.</exception>
    internal void Apply(KernelPolicy policy)
    {
        lock (_gate)
        {
            uint next = _generation + 1;
            var fileKeys = new List<deny_key>();
            var dirKeys = new List<deny_key>();
            try
            {
                uint parity = next & 1;
                for (int i = 0; i < policy.KernelRules.Length; i++)
                {
                    uint key = parity * DenyLimits.RULES_MAX + (uint)i;
                    deny_rule value = policy.KernelRules[i];
                    Check(Libbpf.bpf_map_update_elem(maps.Rules, &key, &value, 0), "writing a rule");
                }
                var files = new Dictionary<FileIdentity, List<uint>>(policy.Files);
                foreach ((FileIdentity id, string hash) in _hashed)
                {
                    if (policy.Hashes.TryGetValue(hash, out List<uint>? rules))
                        files[id] = Merge(files.GetValueOrDefault(id), rules);
                }
                foreach ((FileIdentity id, List<uint> refs) in files)
                    Write(maps.Files, id.Key(next), refs, fileKeys);
                foreach ((FileIdentity id, List<uint> refs) in policy.Directories)
                    Write(maps.Directories, id.Key(next), refs, dirKeys);
                if (policy.Fileless.Count > 0)
                    Write(maps.Files, new deny_key { generation = next, dev = DenyLimits.DEV_SPECIAL, ino = DenyLimits.INO_FILELESS }, policy.Fileless, fileKeys);
                if (policy.AnyFile.Count > 0)
                    Write(maps.Files, new deny_key { generation = next, dev = DenyLimits.DEV_SPECIAL, ino = DenyLimits.INO_ANY }, policy.AnyFile, fileKeys);
                var gen = new deny_gen { flags = policy.Flags, rule_count = (uint)policy.KernelRules.Length };
                Check(Libbpf.bpf_map_update_elem(maps.Generations, &parity, &gen, 0), "writing the generation");
                uint zero = 0;
                Check(Libbpf.bpf_map_update_elem(maps.Active, &zero, &next, 0), "switching the generation");
            }
            catch
            {
                Delete(maps.Files, fileKeys);
                Delete(maps.Directories, dirKeys);
                throw;
            }
            _generation = next;
            Volatile.Write(ref _policy, policy);
            foreach ((FileIdentity id, _) in _hashed.Where(h => !policy.Hashes.ContainsKey(h.Value)).ToList())
                _hashed.Remove(id);
            Thread.Sleep(GracePeriod);
            Delete(maps.Files, _fileKeys);
            Delete(maps.Directories, _dirKeys);
            _fileKeys.Clear();
            _fileKeys.AddRange(fileKeys);
            _dirKeys.Clear();
            _dirKeys.AddRange(dirKeys);
        }
    }

    /// <summary>A file ProcWatch hashed: denied from now on when its digest is on a rule's list. True when it was added.</summary>
    internal bool OnHashed(FileIdentity file, string sha256)
    {
        lock (_gate)
        {
            KernelPolicy policy = _policy;
            if (policy.Hashes.Count == 0 || !policy.Hashes.TryGetValue(sha256, out List<uint>? rules) || _hashed.ContainsKey(file))
                return false;
            List<uint> refs = Merge(policy.Files.GetValueOrDefault(file), rules);
            var key = file.Key(_generation);
            try
            {
                Write(maps.Files, key, refs, _fileKeys);
            }
            catch (IOException)
            {
                return false; // the map is full: the file stays allowed (counted by the caller's absence of a denial)
            }
            _hashed[file] = sha256;
            return true;
        }
    }

    private static List<uint> Merge(List<uint>? a, List<uint> b)
    {
        var merged = a is null ? new List<uint>() : new List<uint>(a);
        foreach (uint r in b)
        {
            if (!merged.Contains(r) && merged.Count < DenyLimits.REFS_MAX)
                merged.Add(r);
        }
        return merged;
    }

    private static void Write(int fd, deny_key key, List<uint> refs, List<deny_key> written)
    {
        var value = new deny_refs { count = (uint)Math.Min(refs.Count, DenyLimits.REFS_MAX) };
        for (int i = 0; i < value.count; i++)
            value.rule[i] = refs[i];
        Check(Libbpf.bpf_map_update_elem(fd, &key, &value, 0), "writing a deny entry");
        written.Add(key);
    }

    private static void Delete(int fd, List<deny_key> keys)
    {
        foreach (deny_key k in keys)
        {
            deny_key key = k;
            Libbpf.bpf_map_delete_elem(fd, &key);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
            throw new IOException(what + " into the deny maps failed: " + Marshal.GetPInvokeErrorMessage(-rc));
    }
}
