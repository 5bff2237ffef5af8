using ProcWatch.Events;

namespace ProcWatch.Output;

/// <summary>A failed exec: ECS <c>error.{code,message}</c>, and <c>procwatch.exec_failure.*</c> for what ECS has no field for.</summary>
internal sealed partial class EcsJsonFormatter
{
    private static void WriteExecFailureError(ref JsonLineWriter w, ExecFailedEvent failed)
    {
        w.StartObject("error"u8);
        w.String("code"u8, failed.ErrorName);
        w.String("message"u8, ErrnoNames.Message(failed.Errno));
        w.EndObject();
    }

    private static void WriteExecFailure(ref JsonLineWriter w, ExecFailedEvent failed)
    {
        w.StartObject("exec_failure"u8);
        w.Number("errno"u8, failed.Errno);
        w.String("syscall"u8, failed.Syscall);
        if (failed.Filename is not null) w.String("filename"u8, failed.Filename);
        if (failed.DirectoryFd is { } dirfd) w.Number("dirfd"u8, dirfd);
        if (failed.Flags != 0) w.Number("flags"u8, failed.Flags);
        if (failed.CallerExecutable is not null) w.String("caller_executable"u8, failed.CallerExecutable);
        w.EndObject();
    }
}
