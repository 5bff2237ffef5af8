using System.Globalization;
using System.Security.Cryptography;
using ProcWatch.Filtering;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Checks deny rules and resolves them for the kernel: paths to file identities (globs
/// expanded), users to uids, cgroups to ids. Refuses, with one line naming the rule, what
/// cannot be enforced or would lock the host out (<see cref="CriticalPrograms"/>).
/// </summary>
internal static class DenyPolicyCompiler
{
    private const int GlobLimit = 4096;

    /// <exception cref="ArgumentException">A rule is invalid or unsafe (the message is one line, naming the rule).</exception>
    internal static KernelPolicy Compile(IReadOnlyList<DenyRule> rules)
    {
        if (rules.Count == 0)
            return KernelPolicy.Empty;
        if (rules.Count > DenyLimits.RULES_MAX)
            throw new ArgumentException($"{rules.Count} deny rules; at most {DenyLimits.RULES_MAX}");
        var kernelRules = new deny_rule[rules.Count];
        var policy = new KernelPolicy { Rules = rules, KernelRules = kernelRules };
        var names = new HashSet<string>(StringComparer.Ordinal);
        List<(string Path, FileIdentity Identity)>? critical = null;
        for (int i = 0; i < rules.Count; i++)
        {
            DenyRule rule = rules[i] ?? throw new ArgumentException("a deny rule is null");
            if (string.IsNullOrWhiteSpace(rule.Name))
                throw new ArgumentException("a deny rule needs a name");
            if (!names.Add(rule.Name))
                throw new ArgumentException($"two deny rules are named '{rule.Name}'");
            kernelRules[i] = KernelRule(rule);
            uint index = (uint)i;
            foreach (string exe in rule.Executables)
            {
                foreach (string path in ResolveExecutables(rule, exe))
                {
                    if (!FileIdentity.TryStat(path, followLinks: true, out FileIdentity? id, out uint type) || type != FileIdentity.S_IFREG)
                        continue;
                    AddRef(policy.Files, id.Value, index, rule, path);
                }
            }
            foreach (string dir in rule.Directories)
            {
                if (!Path.IsPathFullyQualified(dir))
                    throw Fail(rule, $"directory '{dir}' is not an absolute path");
                if (!FileIdentity.TryStat(dir, followLinks: true, out FileIdentity? id, out uint type) || type != FileIdentity.S_IFDIR)
                    throw Fail(rule, $"directory '{dir}' does not exist or is not a directory");
                AddRef(policy.Directories, id.Value, index, rule, dir);
            }
            if (rule.Fileless)
                policy.Fileless.Add(index);
            foreach (string hash in rule.Sha256)
            {
                string hex = hash.Trim().ToLowerInvariant();
                if (hex.Length != 64 || !IsHex(hex))
                    throw Fail(rule, $"sha256 '{hash}' is not 64 hexadecimal digits");
                if (!policy.Hashes.TryGetValue(hex, out List<uint>? list))
                    policy.Hashes[hex] = list = [];
                list.Add(index);
            }
            if (rule.MatchesAnyFile)
                policy.AnyFile.Add(index);
            if (!rule.AllowCritical)
                RefuseCritical(rule, index, policy, critical ??= CriticalPrograms.Find());
        }
        if (policy.Files.Count > DenyLimits.FILES_MAX)
            throw new ArgumentException($"deny rules name {policy.Files.Count} files; at most {DenyLimits.FILES_MAX}");
        if (policy.Directories.Count > DenyLimits.DIRS_MAX)
            throw new ArgumentException($"deny rules name {policy.Directories.Count} directories; at most {DenyLimits.DIRS_MAX}");
        if (policy.Fileless.Count > DenyLimits.REFS_MAX || policy.AnyFile.Count > DenyLimits.REFS_MAX)
            throw new ArgumentException($"at most {DenyLimits.REFS_MAX} deny rules may be fileless, and {DenyLimits.REFS_MAX} may name no file");
        return policy;
    }

    private static deny_rule KernelRule(DenyRule rule)
    {
        var k = new deny_rule();
        if (rule.Audit)
            k.flags |= deny_rule_flags.DENY_RULE_AUDIT;
        if (rule.User is { } user)
        {
            if (!SettingValues.TryParseUser(user, out uint uid, out string? error))
                throw Fail(rule, "user: " + error);
            k.flags |= deny_rule_flags.DENY_RULE_UID;
            k.uid = uid;
        }
        if (rule.Cgroup is { } cgroup)
        {
            if (!Path.IsPathFullyQualified(cgroup) || !FileIdentity.TryStat(cgroup, followLinks: true, out FileIdentity? id, out uint type) || type != FileIdentity.S_IFDIR)
                throw Fail(rule, $"cgroup '{cgroup}' is not a cgroup v2 directory (an absolute path under the cgroup2 mount)");
            k.flags |= deny_rule_flags.DENY_RULE_CGROUP;
            k.cgroup_id = id.Value.Inode; // a cgroup v2 directory's inode number is its id
        }
        if (rule.ParentExecutable is { } parent)
        {
            if (PathGlob.HasWildcards(parent))
                throw Fail(rule, $"parent_executable '{parent}' must be one file (no wildcards)");
            if (!Path.IsPathFullyQualified(parent) || !FileIdentity.TryStat(parent, followLinks: true, out FileIdentity? id, out uint type) || type != FileIdentity.S_IFREG)
                throw Fail(rule, $"parent_executable '{parent}' is not an existing file");
            k.flags |= deny_rule_flags.DENY_RULE_PARENT;
            k.parent_dev = id.Value.Device;
            k.parent_ino = id.Value.Inode;
        }
        return k;
    }

    private static List<string> ResolveExecutables(DenyRule rule, string exe)
    {
        if (!Path.IsPathFullyQualified(exe))
            throw Fail(rule, $"executable '{exe}' is not an absolute path");
        if (!PathGlob.HasWildcards(exe))
        {
            if (Directory.Exists(exe))
                throw Fail(rule, $"executable '{exe}' is a directory (use directories: for everything below it)");
            if (!File.Exists(exe))
                throw Fail(rule, $"executable '{exe}' does not exist (deny rules match files by identity, resolved at load; name its directory instead)");
            return [exe];
        }
        List<string> paths = PathGlob.Expand(exe, GlobLimit);
        if (paths.Count == 0)
            throw Fail(rule, $"executable '{exe}' matches no file now (globs are expanded when the rules load; name the directory instead)");
        return paths;
    }

    private static void AddRef(Dictionary<FileIdentity, List<uint>> map, FileIdentity id, uint index, DenyRule rule, string path)
    {
        if (!map.TryGetValue(id, out List<uint>? refs))
            map[id] = refs = [];
        if (refs.Contains(index))
            return;
        if (refs.Count >= DenyLimits.REFS_MAX)
            throw Fail(rule, $"'{path}' is named by more than {DenyLimits.REFS_MAX} deny rules");
        refs.Add(index);
    }

    private static void RefuseCritical(DenyRule rule, uint index, KernelPolicy policy, List<(string Path, FileIdentity Identity)> critical)
    {
        const string Hint = "; add allow_critical: true if that is really meant";
        if (rule.MatchesAnyFile)
            throw Fail(rule, "names no executable, directory, fileless or sha256, so it would deny every program (shells, the dynamic loader, sshd) to the processes it matches" + Hint);
        Dictionary<string, string>? hashes = null;
        foreach ((string path, FileIdentity id) in critical)
        {
            if (policy.Files.TryGetValue(id, out List<uint>? refs) && refs.Contains(index))
                throw Fail(rule, $"would deny {path}, which this host needs (init, a shell, the dynamic loader, sshd or procwatch)" + Hint);
            if (rule.Directories.Count > 0 && UnderDenyDirectory(path, policy, index) is { } dir)
                throw Fail(rule, $"would deny {path} (below {dir}), which this host needs (init, a shell, the dynamic loader, sshd or procwatch)" + Hint);
            if (rule.Sha256.Count > 0)
            {
                hashes ??= [];
                if (!hashes.TryGetValue(path, out string? sha))
                    hashes[path] = sha = HashOf(path);
                foreach (string h in rule.Sha256)
                {
                    if (string.Equals(h.Trim(), sha, StringComparison.OrdinalIgnoreCase))
                        throw Fail(rule, $"sha256 {sha} is that of {path}, which this host needs" + Hint);
                }
            }
        }
    }

    /// <summary>The rule directory above <paramref name="path"/>'s real location, if any (the kernel walks the file's real dentries).</summary>
    private static string? UnderDenyDirectory(string path, KernelPolicy policy, uint index)
    {
        string? real = Interop.Libc.RealPath(path);
        if (real is null)
            return null;
        for (string? dir = Path.GetDirectoryName(real); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (FileIdentity.TryStat(dir, followLinks: true, out FileIdentity? id, out _) &&
                policy.Directories.TryGetValue(id.Value, out List<uint>? refs) && refs.Contains(index))
                return dir;
        }
        return null;
    }

    private static string HashOf(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static bool IsHex(string s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigit(c))
                return false;
        }
        return true;
    }

    private static ArgumentException Fail(DenyRule rule, string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"deny rule '{rule.Name}': {message}"));
}
