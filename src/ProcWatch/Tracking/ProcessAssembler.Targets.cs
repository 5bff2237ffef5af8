using ProcWatch.Events;

namespace ProcWatch.Tracking;

/// <summary>What an exec really runs beyond its executable: the loader's program, the interpreter's script.</summary>
internal sealed partial class ProcessAssembler
{
    /// <summary>
    /// The program a directly run loader loads, and the script an interpreter runs: a
    /// <c>#!</c> script is the file execve was given when the kernel ran another (the
    /// interpreter); otherwise argv is read as the loader or interpreter reads it.
    /// </summary>
    internal (ProgramFile? Loaded, ScriptInfo? Script) TargetsOf(int pid, string? exe, ExecutableVersion? exeVersion, string? filename,
        IReadOnlyList<string>? args, string? cwd, string? entityId)
    {
        if (exe is null)
            return default;
        if (filename is not null && exeVersion is { } version && !string.Equals(filename, exe, StringComparison.Ordinal))
        {
            bool viaFd = filename.StartsWith("/dev/fd/", StringComparison.Ordinal);
            string? open = viaFd ? $"/proc/{pid}/fd/{filename["/dev/fd/".Length..]}" : ExecTargets.Resolve(filename, cwd);
            if (open is not null && !MergedUsrName.Names(open, exe) && IsShebangScript(open, version))
                return (null, new ScriptInfo { Kind = ScriptKinds.Shebang, File = FileOf(pid, open, viaFd ? filename : open, HashTarget.Script, entityId) });
        }
        if (args is not { Count: > 1 })
            return default;
        ExecTargets.Family family = ExecTargets.FamilyOf(exe);
        if (family == ExecTargets.Family.None)
            return default;
        if (family == ExecTargets.Family.Loader)
        {
            string? program = ExecTargets.LoaderProgram(args);
            string? path = program is null ? null : ExecTargets.Resolve(program, cwd);
            return path is null ? default : (FileOf(pid, path, path, HashTarget.LoadedProgram, entityId), null);
        }
        string? script = ExecTargets.ScriptArgument(family, args, out bool inline);
        if (inline)
            return (null, new ScriptInfo { Kind = ScriptKinds.Inline });
        string? resolved = script is null ? null : ExecTargets.Resolve(script, cwd);
        return resolved is null ? default : (null, new ScriptInfo { Kind = ScriptKinds.Argument, File = FileOf(pid, resolved, resolved, HashTarget.Script, entityId) });
    }

    private ProgramFile FileOf(int pid, string open, string shown, HashTarget target, string? entityId)
    {
        if (_hasher is null)
            return new ProgramFile { Path = shown };
        (string? sha256, string? status) = _hasher.LookupFile(pid, open, target, entityId);
        return new ProgramFile { Path = shown, Sha256 = sha256, HashStatus = status };
    }

    /// <summary>A regular file other than the executable that ran, beginning with "#!".</summary>
    private static bool IsShebangScript(string path, ExecutableVersion exe)
    {
        // Most execs name their executable itself (often through a link: /bin/true is
        // /usr/bin/true): one statx says so without opening the file (an open, a statx and a
        // close on every exec were 5 % of procwatch's CPU in an exec storm).
        if (FileVersion.TryRead(path, out ExecutableVersion named, out _) && FileHashing.SameFile(named, exe))
            return false;
        using Microsoft.Win32.SafeHandles.SafeFileHandle? file = FileHashing.OpenRegular(path, out ExecutableVersion version);
        if (file is null || FileHashing.SameFile(version, exe))
            return false;
        Span<byte> magic = stackalloc byte[2];
        return RandomAccess.Read(file, magic, 0) == 2 && magic[0] == (byte)'#' && magic[1] == (byte)'!';
    }
}
