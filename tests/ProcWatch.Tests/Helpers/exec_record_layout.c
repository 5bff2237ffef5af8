/* Prints the size and field offsets of struct exec_record_header as the BPF side lays it
 * out, one "name offset" per line, for ExecRecordLayoutTests to compare with the C# mirror. */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "exec_capture.h"

#define FIELD(f) printf("%s %zu\n", strrchr("." #f, '.') + 1, offsetof(struct exec_record_header, f))

int main(void)
{
    printf("sizeof %zu\n", sizeof(struct exec_record_header));
    FIELD(prefix.kind);
    FIELD(prefix.tgid);
    FIELD(prefix.ktime_ns);
    FIELD(old_pid);
    FIELD(ppid);
    FIELD(uid);
    FIELD(gid);
    FIELD(flags);
    FIELD(argv_len);
    FIELD(argv_full_len);
    FIELD(argv_chunks);
    FIELD(argc);
    FIELD(filename_len);
    FIELD(exe_len);
    FIELD(cwd_len);
    FIELD(comm);
    FIELD(loginuid);
    FIELD(euid);
    FIELD(egid);
    FIELD(sid);
    FIELD(pgid);
    FIELD(tty_nr);
    FIELD(cgroup_id);
    FIELD(start_boottime_ns);
    FIELD(exe_ino);
    FIELD(exe_dev);
    FIELD(exe_mode);
    FIELD(exe_uid);
    FIELD(exe_nlink);
    FIELD(exe_size);
    FIELD(exe_mtime_ns);
    FIELD(exe_ctime_ns);
    FIELD(ancestors);
    printf("argv_chunk_header %zu\n", sizeof(struct argv_chunk_header));
    printf("fork_record %zu\n", sizeof(struct fork_record));
    printf("exit_record %zu\n", sizeof(struct exit_record));
    printf("exit_record.maxrss_pages %zu\n", offsetof(struct exit_record, maxrss_pages));
    printf("fork_record.start_boottime_ns %zu\n", offsetof(struct fork_record, start_boottime_ns));
    printf("fork_record.creator_tgid %zu\n", offsetof(struct fork_record, creator_tgid));
    printf("fork_record.ids %zu\n", offsetof(struct fork_record, ids));
    printf("exit_record.ids %zu\n", offsetof(struct exit_record, ids));
    printf("task_ids %zu\n", sizeof(struct task_ids));
    printf("task_ids.egid %zu\n", offsetof(struct task_ids, egid));
    printf("EXEC_ARGV_CAP %d\n", EXEC_ARGV_CAP);
    printf("EXEC_FILENAME_CAP %d\n", EXEC_FILENAME_CAP);
    return 0;
}
