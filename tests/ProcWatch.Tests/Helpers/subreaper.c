/* subreaper TOKEN: becomes a child subreaper (PR_SET_CHILD_SUBREAPER) and forks A; A forks B,
 * waits until B has exec'd sh (a close-on-exec pipe reaches EOF), and exits. So sh's exec
 * names A as its parent, and the kernel then reparents sh to us. sh waits for that, then runs
 * /bin/true TOKEN (the ": " keeps sh from exec'ing it in place): true's grandparent is us,
 * while every event before said A. Waits for all of them; exits 0 when they succeeded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: subreaper TOKEN\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        perror("prctl");
        return 1;
    }
    pid_t me = getpid();
    pid_t a = fork();
    if (a == 0) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            _exit(1);
        if (fork() == 0) {
            close(p[0]);
            char cmd[512];
            snprintf(cmd, sizeof cmd,
                     "until [ \"$(cut -d' ' -f4 /proc/$$/stat)\" = %d ]; do sleep 0.01; done; /bin/true %s; :",
                     (int)me, argv[1]);
            execl("/bin/sh", "sh", "-c", cmd, argv[1], (char *)0);
            _exit(127);
        }
        close(p[1]);
        char c;
        while (read(p[0], &c, 1) > 0) {
        }
        _exit(0);
    }
    int status, failed = 0;
    pid_t done;
    while ((done = wait(&status)) > 0)
        if (done != a && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
            failed = 1;
    return failed;
}
