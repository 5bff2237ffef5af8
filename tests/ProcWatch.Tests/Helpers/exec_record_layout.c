/* Prints the size and field offsets of struct exec_record_header as the BPF side lays it
 * out, one "name offset" per line, for ExecRecordLayoutTests to compare with the C# mirror. */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "exec_capture.h"

#define FIELD(f) printf("%s %zu\n", #f, offsetof(struct exec_record_header, f))

int main(void)
{
    printf("sizeof %zu\n", sizeof(struct exec_record_header));
    FIELD(ktime_ns);
    FIELD(tgid);
    FIELD(old_pid);
    FIELD(ppid);
    FIELD(uid);
    FIELD(gid);
    FIELD(flags);
    FIELD(argv_len);
    FIELD(argv_full_len);
    FIELD(filename_len);
    FIELD(comm);
    FIELD(loginuid);
    FIELD(euid);
    FIELD(egid);
    FIELD(cgroup_id);
    printf("EXEC_ARGV_CAP %d\n", EXEC_ARGV_CAP);
    printf("EXEC_FILENAME_CAP %d\n", EXEC_FILENAME_CAP);
    return 0;
}
