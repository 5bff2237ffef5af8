/* Prints the size and field offsets of bpf/exec_failure.h's record and its constants, one
 * "name value" per line, for ExecFailureAbiTests to compare with the C# mirror
 * (src/ProcWatch/Kernel/ExecFailures/ExecFailureAbi.cs). */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "exec_failure.h"

#define OFF(s, f) printf("%s.%s %zu\n", #s, #f, offsetof(struct s, f))
#define CONST(c) printf("%s %lld\n", #c, (long long)(c))

int main(void)
{
    printf("exec_failure_record %zu\n", sizeof(struct exec_failure_record));
    OFF(exec_failure_record, tgid);
    OFF(exec_failure_record, ktime_ns);
    OFF(exec_failure_record, pid);
    OFF(exec_failure_record, ppid);
    OFF(exec_failure_record, error);
    OFF(exec_failure_record, syscall);
    OFF(exec_failure_record, dirfd);
    OFF(exec_failure_record, at_flags);
    OFF(exec_failure_record, uid);
    OFF(exec_failure_record, euid);
    OFF(exec_failure_record, gid);
    OFF(exec_failure_record, egid);
    OFF(exec_failure_record, flags);
    OFF(exec_failure_record, argc);
    OFF(exec_failure_record, cgroup_id);
    OFF(exec_failure_record, start_boottime_ns);
    OFF(exec_failure_record, filename_len);
    OFF(exec_failure_record, cwd_len);
    OFF(exec_failure_record, argv_len);
    OFF(exec_failure_record, comm);
    CONST(EXECFAIL_RECORD_KIND);
    CONST(EXECFAIL_SYSCALL_EXECVE);
    CONST(EXECFAIL_SYSCALL_EXECVEAT);
    CONST(EXECFAIL_FILENAME_UNREADABLE);
    CONST(EXECFAIL_ARGV_UNREADABLE);
    CONST(EXECFAIL_ARGV_TRUNCATED);
    CONST(EXECFAIL_CWD_TRUNCATED);
    CONST(EXECFAIL_CWD_DELETED);
    CONST(EXECFAIL_CWD_ANONYMOUS);
    CONST(EXECFAIL_CWD_MISSING);
    CONST(EXECFAIL_COUNTER_RECORDS);
    CONST(EXECFAIL_COUNTER_RING_DROPS);
    CONST(EXECFAIL_COUNTER_SCRATCH_MISSING);
    return 0;
}
