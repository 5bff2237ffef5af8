using ProcWatch.Output;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// The failed-exec columns of a row (<see cref="ClickHouseSchema.Columns"/>): <c>error.code</c>
/// ("ENOENT"), the errno, the call, the path as given and the program that tried it. The
/// argv tried is in <c>process.args</c>, the resolved path in <c>process.executable</c>.
/// </summary>
internal static class ClickHouseExecFailureColumns
{
    public static void Write(ref JsonLineWriter w, ExecFailedEvent e)
    {
        w.String("error.code"u8, e.ErrorName);
        w.Number("procwatch.exec_failure.errno"u8, e.Errno);
        w.String("procwatch.exec_failure.syscall"u8, e.Syscall);
        if (e.Filename is not null) w.String("procwatch.exec_failure.filename"u8, e.Filename);
        if (e.CallerExecutable is not null) w.String("procwatch.exec_failure.caller_executable"u8, e.CallerExecutable);
    }
}
