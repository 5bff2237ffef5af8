using ProcWatch.Output;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// The "what ran" columns of a row (<see cref="ClickHouseSchema.Columns"/>): the follow-up's file and hash (<c>event.action = 'hash'</c>,
/// joined to its exec by <c>process.entity_id</c>), the unknown-path flag, the loader's
/// program and the interpreter's script.
/// </summary>
internal static class ClickHouseWhatRanColumns
{
    public static void Write(ref JsonLineWriter w, ProcessEvent e)
    {
        if (e is HashEvent hash)
        {
            w.String("procwatch.hash_target"u8, hash.Target);
            if (hash.Path is not null) w.String("file.path"u8, hash.Path);
            if (hash.Sha256 is not null) w.String("file.hash.sha256"u8, hash.Sha256);
            if (hash.HashStatus is not null) w.String("procwatch.hash_status"u8, hash.HashStatus);
            return; // process.hash.sha256: ClickHouseRowWriter, for every event whose process has one
        }
        if (e is not ExecEvent || e.Process is not { } p)
            return;
        // process.hash.sha256 and procwatch.hash_status: ClickHouseRowWriter (a key twice breaks JSONEachRow).
        if (p.ExecutableUnknown) w.Number("procwatch.executable_unknown"u8, 1);
        if (p.LoadedProgram is { } loaded)
        {
            if (loaded.Path is not null) w.String("procwatch.loaded_program.path"u8, loaded.Path);
            if (loaded.Sha256 is not null) w.String("procwatch.loaded_program.hash.sha256"u8, loaded.Sha256);
        }
        if (p.Script is { } script)
        {
            w.String("procwatch.script.type"u8, script.Kind);
            if (script.File?.Path is { } path) w.String("procwatch.script.path"u8, path);
            if (script.File?.Sha256 is { } sha) w.String("procwatch.script.hash.sha256"u8, sha);
        }
    }
}
