using ProcWatch.Events;

namespace ProcWatch.Output;

/// <summary>
/// The executable's identity and the ancestors in ECS JSON: <c>process.hash.sha256</c> (ECS)
/// inside <c>process</c>; the rest ProcWatch's own, inside <c>procwatch</c>.
/// </summary>
internal static class EcsExecutableFields
{
    /// <summary>Inside <c>process</c>.</summary>
    public static void WriteHash(ref JsonLineWriter w, ProcessInfo p)
    {
        if (p.Sha256 is null)
            return;
        w.StartObject("hash"u8);
        w.String("sha256"u8, p.Sha256);
        w.EndObject();
    }

    /// <summary>Inside <c>procwatch</c>: why no hash, the file's mode and owner, the ancestors.</summary>
    public static void WriteProcWatch(ref JsonLineWriter w, ProcessInfo p, bool isExec)
    {
        // Said at the exec only: a later fork or exit would repeat a "pending" long since resolved.
        if (isExec && p.HashStatus is not null) w.String("hash_status"u8, p.HashStatus);
        if (p.ExecutableMode is { } mode)
        {
            // Octal like ECS file.mode ("0755"; "4755" with set-user-ID), permission and special bits only.
            Span<byte> octal = stackalloc byte[4];
            uint bits = mode & 0xfff;
            for (int i = 3; i >= 0; i--, bits >>= 3)
                octal[i] = (byte)('0' + (bits & 7));
            w.Ascii("executable_mode"u8, octal);
            if ((mode & 0x800) != 0) w.Boolean("setuid"u8, true);
            if ((mode & 0x400) != 0) w.Boolean("setgid"u8, true);
        }
        if (p.ExecutableOwner is { } owner)
            EcsJsonFormatter.WriteId(ref w, "executable_owner"u8, owner.Id, owner.Name);
        if (isExec && p.Ancestors is { } ancestors) // the chain at exec; later events of the process would show it stale
        {
            w.StartArray("ancestors"u8);
            for (int i = 0; i < ancestors.Count; i++)
            {
                // Each ancestor is the table's one summary of that process, on every exec below it: kept and copied.
                ParentInfo a = ancestors[i];
                w.NextItem();
                if (w.TryRepeat(RepeatedJson.Ancestors, a))
                    continue;
                RepeatCapture capture = RepeatedJson.Cacheable(a) ? w.BeginRepeat(EcsJsonFormatter.ParentBound(a, withArgs: true)) : RepeatCapture.None;
                w.StartObject();
                w.Number("pid"u8, a.Pid);
                if (a.EntityId is not null) w.String("entity_id"u8, a.EntityId);
                if (a.Executable is not null) w.String("executable"u8, a.Executable);
                if (a.Args is { } args)
                    w.RepeatedStringArray("args"u8, args);
                w.EndObject();
                w.EndRepeat(RepeatedJson.Ancestors, a, capture);
            }
            w.EndArray();
        }
    }
}
