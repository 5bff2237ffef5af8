/* syscall-cost N: N getppid() calls (a syscall that does nothing), timed; prints the mean
 * wall-clock ns per call and the process's own CPU ns per call. A hook on every syscall's
 * exit (raw sys_exit, as ProcWatch's failed-exec capture) shows up here as the difference
 * between two runs, with and without it. Written for bench/exec-failure-cost.sh. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double ns(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    double w0 = ns(CLOCK_MONOTONIC), c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    double w1 = ns(CLOCK_MONOTONIC), c1 = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("calls=%ld wall_ns_per_call=%.1f cpu_ns_per_call=%.1f\n", n, (w1 - w0) / n, (c1 - c0) / n);
    return 0;
}
