/* A group exit whose last thread leaves argv[1] ms (default 2500) after the main thread.
 * A child process starts a second thread, which ends the process with exit_group(2) while this
 * process (its parent) traces that thread with PTRACE_O_TRACEEXIT: the thread stops at
 * PTRACE_EVENT_EXIT, early in do_exit (before it leaves signal->live), while the main thread,
 * killed by the group exit, leaves at once (the proc connector reports the process's exit
 * then). Once the main thread is a zombie and argv[1] ms more have passed, the thread is let
 * go and the process ends (its last thread's sched_process_exit: the ring's exit record).
 * Prints the child's pid first; exits 0 when all went as described. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int to_child[2], to_parent[2];
static pid_t child;

/* Leaves nothing behind: the child (and its traced thread) is killed on any failure. */
static int fail(int code)
{
    if (child > 0)
        kill(child, SIGKILL);
    return code;
}

static void *last_thread(void *arg)
{
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    char go;
    if (write(to_parent[1], &tid, sizeof tid) != sizeof tid || read(to_child[0], &go, 1) != 1)
        _exit(3);
    syscall(SYS_exit_group, 0);
    return NULL;
}

static char state_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *close = strrchr(buf, ')');
    return close && close[1] == ' ' ? close[2] : 0;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 2500;
    if (pipe(to_child) || pipe(to_parent))
        return 2;
    child = fork();
    if (child == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, last_thread, NULL) != 0)
            _exit(3);
        for (;;)
            pause();
    }
    printf("%d\n", child);
    fflush(stdout);
    pid_t tid;
    if (read(to_parent[0], &tid, sizeof tid) != sizeof tid)
        return fail(4);
    if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACEEXIT) != 0) {
        fprintf(stderr, "PTRACE_SEIZE: %s\n", strerror(errno));
        return fail(5);
    }
    if (write(to_child[1], "g", 1) != 1)
        return fail(6);
    int status;
    if (waitpid(tid, &status, __WALL) != tid || status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
        fprintf(stderr, "no PTRACE_EVENT_EXIT stop (status %#x)\n", status);
        return fail(7);
    }
    /* The main thread killed by the group exit: a zombie once exit_notify is done, the connector's exit just after. */
    for (int i = 0; state_of(child) != 'Z'; i++) {
        if (i > 600000)
            return fail(8);
        usleep(100);
    }
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
    if (ptrace(PTRACE_DETACH, tid, 0, 0) != 0)
        return fail(9);
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 10;
    return 0;
}
