/* ProcWatch load generator: creates processes or threads as fast as it can.
 *
 *   loadgen fork N          N times: fork, the child _exit(0)s, the parent waits
 *   loadgen exec N [TOKEN]  N times: fork, the child execs /bin/true TOKEN-i, the parent waits
 *   loadgen thread N        N times: pthread_create a thread that returns at once, join it
 *
 * Prints one line on stdout: mode, count, its own pid (the parent of every child, for
 * counting a monitor's events), elapsed seconds and rate. Exit status 0 when every child
 * or thread was created and ended as expected. Written for ProcWatch's bench/run.sh. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *thread_main(void *arg)
{
    return arg;
}

static int wait_ok(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: loadgen fork|exec|thread N [TOKEN]\n");
        return 2;
    }
    const char *mode = argv[1];
    long n = atol(argv[2]);
    const char *token = argc > 3 ? argv[3] : "TOKEN";
    long failures = 0;
    char arg[128];

    if (strcmp(mode, "fork") && strcmp(mode, "exec") && strcmp(mode, "thread")) {
        fprintf(stderr, "loadgen: unknown mode %s\n", mode);
        return 2;
    }

    double start = now();
    for (long i = 0; i < n; i++) {
        if (strcmp(mode, "thread") == 0) {
            pthread_t t;
            if (pthread_create(&t, NULL, thread_main, NULL) != 0) { failures++; continue; }
            pthread_join(t, NULL);
            continue;
        }
        if (strcmp(mode, "exec") == 0)
            snprintf(arg, sizeof arg, "%s-%ld", token, i);
        pid_t pid = fork();
        if (pid < 0) { failures++; continue; }
        if (pid == 0) {
            if (strcmp(mode, "exec") == 0) {
                execl("/bin/true", "/bin/true", arg, (char *)NULL);
                _exit(127);
            }
            _exit(0);
        }
        if (!wait_ok(pid)) failures++;
    }
    double elapsed = now() - start;

    printf("mode=%s n=%ld pid=%d elapsed=%.3f rate=%.0f failures=%ld\n",
           mode, n, (int)getpid(), elapsed, n / elapsed, failures);
    return failures ? 1 : 0;
}
