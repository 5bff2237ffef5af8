/* bpf-prog-stats SECONDS NAME...: enables the kernel's BPF run-time statistics (BPF_ENABLE_STATS,
 * held only while this runs), waits SECONDS, then prints run count and ns per run of every
 * loaded program whose name starts with one of NAME (the kernel's 15-character prefix).
 * Used by bench/deny-storm.sh to measure what the deny hook costs per exec, independent of
 * how loaded the machine is. ProcWatch's own code; build: cc -O2 -o bpf-prog-stats bpf-prog-stats.c -lbpf */
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct snap { __u32 id; char name[16]; __u64 cnt, ns; };

static int take(struct snap *s, int max, char **names, int nnames)
{
    __u32 id = 0;
    int n = 0;
    while (n < max && bpf_prog_get_next_id(id, &id) == 0) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0)
            continue;
        struct bpf_prog_info info = {0};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
            for (int i = 0; i < nnames; i++) {
                if (strncmp(info.name, names[i], strlen(info.name)) == 0) {
                    s[n].id = id;
                    memcpy(s[n].name, info.name, sizeof(s[n].name));
                    s[n].cnt = info.run_cnt;
                    s[n].ns = info.run_time_ns;
                    n++;
                    break;
                }
            }
        }
        close(fd);
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bpf-prog-stats SECONDS NAME...\n");
        return 2;
    }
    int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (stats < 0) {
        perror("BPF_ENABLE_STATS");
        return 1;
    }
    struct snap a[64], b[64];
    int na = take(a, 64, argv + 2, argc - 2);
    sleep(atoi(argv[1]));
    int nb = take(b, 64, argv + 2, argc - 2);
    close(stats);
    for (int i = 0; i < nb; i++) {
        for (int j = 0; j < na; j++) {
            if (a[j].id != b[i].id)
                continue;
            __u64 runs = b[i].cnt - a[j].cnt, ns = b[i].ns - a[j].ns;
            printf("%s id=%u runs=%llu ns_per_run=%.0f\n", b[i].name, b[i].id, (unsigned long long)runs, runs ? (double)ns / runs : 0.0);
        }
    }
    return 0;
}
