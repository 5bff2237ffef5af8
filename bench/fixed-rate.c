/* fixed-rate RATE SECONDS [TOKEN]: starts /bin/true TOKEN at a steady RATE per second for
 * SECONDS (vfork + exec, paced against absolute CLOCK_MONOTONIC deadlines, so a slow start
 * does not lower the rate), reaping as it goes. Prints "rate=R achieved=A late=L". The
 * method of Sysmon for Linux's published perftest. Written for bench/fixed-rate.sh. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fixed-rate RATE SECONDS [TOKEN]\n");
        return 2;
    }
    long rate = atol(argv[1]), seconds = atol(argv[2]);
    char *token = argc > 3 ? argv[3] : "FIXEDRATE";
    long total = rate * seconds, late = 0;
    long period_ns = 1000000000L / rate;
    struct timespec start, next, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    next = start;
    for (long i = 0; i < total; i++) {
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        pid_t pid = vfork();
        if (pid == 0) {
            execl("/bin/true", "true", token, (char *)0);
            _exit(127);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
            late++;
        else
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    while (wait(NULL) > 0)
        ;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    printf("rate=%ld achieved=%.0f late=%ld\n", rate, total / elapsed, late);
    return 0;
}
