/* clone_parent TOKEN: the ways a process can leave its creator's tree by its parent link.
 * P (this process, a child subreaper, outside the watched tree) forks R (the root to watch with
 * -p), prints R's pid and waits for a line on stdin (the watchers are ready). Then:
 *   R   clone(CLONE_PARENT): C's parent is P, not R; C runs TOKEN-cproot.
 *   R   forks A2; A2 clone(CLONE_PARENT): E's parent is R; E runs TOKEN-cpmember.
 *   R   forks A; A forks B and exits; B, reparented to P, runs clone(CLONE_PARENT) (D, parent P,
 *       runs TOKEN-cporphan) and then TOKEN-orphan itself.
 *   P   forks X (outside); X clone(CLONE_PARENT): Y (parent P) runs TOKEN-out, X runs
 *       TOKEN-outx. Neither is in R's tree.
 * When P has reaped C, B, D, X and Y, it lets R run TOKEN-end (the last exec). Exits 0
 * when every process exited 0. "Runs TOKEN-x": sh -c 'sleep 0.5; :' TOKEN-x (argv[3] is the
 * token). Raw clone(2) without CLONE_VM: the child goes on like fork's (it only execs or
 * _exits: glibc's cached tid in the child is stale). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *token;

static pid_t clone_parent(void)
{
    return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
}

static void run_true(const char *suffix)
{
    char arg[256];
    snprintf(arg, sizeof arg, "%s-%s", token, suffix);
    /* Lives half a second: the connector-only backend reads argv from /proc (": " keeps sh from exec'ing sleep in place). */
    execl("/bin/sh", "sh", "-c", "sleep 0.5; :", arg, (char *)0);
    _exit(127);
}

static int reap_children(void)
{
    int status, failed = 0;
    while (wait(&status) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
    return failed;
}

static void root(int go, int done)
{
    char c;
    if (read(go, &c, 1) != 1)
        _exit(1);
    pid_t p = clone_parent();
    if (p == 0)
        run_true("cproot");
    if (fork() == 0) { /* A2 */
        if (clone_parent() == 0)
            run_true("cpmember");
        _exit(0);
    }
    if (fork() == 0) { /* A */
        if (fork() == 0) { /* B: waits until A is gone and P, the subreaper, is its parent */
            pid_t subreaper = (pid_t)strtol(getenv("CLONE_PARENT_P"), NULL, 10);
            while (getppid() != subreaper)
                usleep(1000);
            if (clone_parent() == 0)
                run_true("cporphan");
            run_true("orphan");
        }
        _exit(0);
    }
    int failed = reap_children(); /* A2, E, A: R's own children */
    if (read(done, &c, 1) != 1)
        _exit(1);
    if (failed)
        _exit(1);
    run_true("end");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: clone_parent TOKEN\n");
        return 2;
    }
    token = argv[1];
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        perror("prctl");
        return 1;
    }
    char me[32];
    snprintf(me, sizeof me, "%d", (int)getpid());
    setenv("CLONE_PARENT_P", me, 1);
    int go[2], done[2];
    if (pipe(go) != 0 || pipe(done) != 0)
        return 1;
    pid_t r = fork();
    if (r == 0) {
        close(go[1]);
        close(done[1]);
        root(go[0], done[0]);
    }
    close(go[0]);
    close(done[0]);
    printf("%d\n", (int)r);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    if (fork() == 0) { /* X */
        if (clone_parent() == 0)
            run_true("out");
        run_true("outx");
    }
    if (write(go[1], "g", 1) != 1)
        return 1;
    /* C, B, D (reparented or placed here), X and Y: then R may end. */
    int status, failed = 0, others = 0;
    pid_t done_pid;
    while (others < 5 && (done_pid = wait(&status)) > 0) {
        if (done_pid == r) {
            failed = 1; /* R ended early */
            break;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
        others++;
    }
    if (write(done[1], "d", 1) != 1)
        return 1;
    if (reap_children())
        failed = 1;
    return failed;
}
