/* exec_from_thread PATH ARG0 [ARG...]: a second thread (not the leader) calls execv(PATH, ARG0...).
 * The kernel turns the exec'ing thread into the leader, so the exec's old_pid differs from
 * the tgid. Prints nothing; exits 127 if execv fails. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static char **exec_argv;

static void *run(void *unused)
{
    (void)unused;
    execv(exec_argv[0], exec_argv + 1);
    perror("execv");
    _exit(127);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: exec_from_thread PATH ARG0 [ARG...]\n");
        return 2;
    }
    exec_argv = argv + 1;
    pthread_t thread;
    if (pthread_create(&thread, NULL, run, NULL) != 0)
        return 1;
    pthread_join(thread, NULL);
    return 1;
}
