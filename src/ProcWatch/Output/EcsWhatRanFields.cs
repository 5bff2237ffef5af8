namespace ProcWatch.Output;

/// <summary>
/// What an exec really ran, inside <c>procwatch</c>: <c>executable_unknown</c>,
/// <c>loaded_program.{path,hash.sha256,hash_status}</c> and
/// <c>script.{type,path,hash.sha256,hash_status}</c> (docs/what-ran.md). Not in
/// <c>process.*</c>: ECS's <c>process.executable</c> and <c>process.hash</c> stay what the
/// kernel ran (/proc/PID/exe), so they agree with every other tool's record of the process.
/// </summary>
internal static class EcsWhatRanFields
{
    public static void Write(ref JsonLineWriter w, ProcessInfo p)
    {
        if (p.ExecutableUnknown) w.Boolean("executable_unknown"u8, true);
        if (p.LoadedProgram is { } loaded)
        {
            w.StartObject("loaded_program"u8);
            WriteFile(ref w, loaded);
            w.EndObject();
        }
        if (p.Script is { } script)
        {
            w.StartObject("script"u8);
            w.String("type"u8, script.Kind);
            if (script.File is { } file) WriteFile(ref w, file);
            w.EndObject();
        }
    }

    /// <summary>A hash follow-up's file, top level (ECS <c>file.path</c>, <c>file.hash.sha256</c>).</summary>
    public static void WriteFileObject(ref JsonLineWriter w, HashEvent e)
    {
        w.StartObject("file"u8);
        if (e.Path is not null) w.String("path"u8, e.Path);
        if (e.Sha256 is not null)
        {
            w.StartObject("hash"u8);
            w.String("sha256"u8, e.Sha256);
            w.EndObject();
        }
        w.EndObject();
    }

    /// <summary>A hash follow-up's own facts, inside <c>procwatch</c>: which file of the exec, and why no hash.</summary>
    public static void WriteFollowUp(ref JsonLineWriter w, HashEvent e)
    {
        w.String("hash_target"u8, e.Target);
        if (e.HashStatus is not null) w.String("hash_status"u8, e.HashStatus);
    }

    private static void WriteFile(ref JsonLineWriter w, ProgramFile file)
    {
        if (file.Path is not null) w.String("path"u8, file.Path);
        if (file.Sha256 is not null)
        {
            w.StartObject("hash"u8);
            w.String("sha256"u8, file.Sha256);
            w.EndObject();
        }
        if (file.HashStatus is not null) w.String("hash_status"u8, file.HashStatus);
    }
}
