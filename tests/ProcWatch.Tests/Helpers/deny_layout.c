/* Prints the sizes and field offsets of bpf/deny.h's structs and limits, one "name value" per
 * line, for DenyAbiTests to compare with the C# mirrors (src/ProcWatch/Kernel/Enforcement/DenyAbi.cs). */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "deny.h"

#define OFF(s, f) printf("%s.%s %zu\n", #s, #f, offsetof(struct s, f))
#define SIZE(s) printf("%s %zu\n", #s, sizeof(struct s))
#define CONST(c) printf("%s %lld\n", #c, (long long)(c))

int main(void)
{
    SIZE(deny_key);
    SIZE(deny_refs);
    SIZE(deny_rule);
    SIZE(deny_gen);
    SIZE(deny_record_header);
    OFF(deny_key, dev);
    OFF(deny_key, ino);
    OFF(deny_rule, cgroup_id);
    OFF(deny_rule, parent_ino);
    OFF(deny_rule, parent_dev);
    OFF(deny_record_header, pid);
    OFF(deny_record_header, flags);
    OFF(deny_record_header, exe_dev);
    OFF(deny_record_header, exe_ino);
    OFF(deny_record_header, cgroup_id);
    OFF(deny_record_header, start_boottime_ns);
    OFF(deny_record_header, filename_len);
    OFF(deny_record_header, argv_len);
    OFF(deny_record_header, argc);
    OFF(deny_record_header, comm);
    CONST(DENY_RULES_MAX);
    CONST(DENY_FILES_MAX);
    CONST(DENY_DIRS_MAX);
    CONST(DENY_REFS_MAX);
    CONST(DENY_PROTECTED_MAX);
    CONST(DENY_RECORD_LSM);
    CONST(DENY_RECORD_ARGV_UNKNOWN);
    CONST(DENY_RULE_PARENT);
    CONST(DENY_GEN_ANY);
    CONST(DENY_GEN_PARENT);
    return 0;
}
