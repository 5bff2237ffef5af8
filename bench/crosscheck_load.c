/* Load for the cross-check's edge cases (bench/README.md "cross-check straddles").
 *   crosscheck_load spin N            N CPU hogs (nice 0)
 *   crosscheck_load forks N NICE      N loops of fork + _exit + wait, at nice NICE
 *   crosscheck_load groups N T NICE   N loops: a child with T threads (spinning, sleeping or
 *                                     fsync-writing), whose main thread ends the process
 *                                     (exit_group) after 0-20 ms, at nice NICE
 * Runs until killed; kill its process group. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *worker(void *arg)
{
    long i = (long)arg;
    if (i % 3 == 0) {
        for (volatile unsigned long n = 0;; n++)
            ;
    } else if (i % 3 == 1) {
        for (;;)
            usleep(1000);
    } else {
        char path[64], buf[4096];
        memset(buf, 'x', sizeof buf);
        snprintf(path, sizeof path, "/tmp/crosscheck_load.%d.%ld", getpid(), i);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        unlink(path);
        for (;;) {
            if (write(fd, buf, sizeof buf) < 0 || fsync(fd) < 0)
                usleep(1000);
        }
    }
    return NULL;
}

static void group_child(int threads)
{
    pthread_t t;
    for (long i = 0; i < threads; i++)
        pthread_create(&t, NULL, worker, (void *)i);
    struct timespec d = { 0, (rand() % 20) * 1000000L };
    nanosleep(&d, NULL);
    exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int n = atoi(argv[2]);
    const char *mode = argv[1];
    for (int i = 0; i < n; i++) {
        if (fork() != 0)
            continue;
        srand(getpid());
        if (strcmp(mode, "spin") == 0) {
            for (volatile unsigned long x = 0;; x++)
                ;
        }
        int nice_at = atoi(argv[argc - 1]);
        setpriority(PRIO_PROCESS, 0, nice_at);
        for (;;) {
            pid_t c = fork();
            if (c == 0) {
                if (strcmp(mode, "groups") == 0)
                    group_child(atoi(argv[3]));
                _exit(0);
            }
            if (c > 0)
                waitpid(c, NULL, 0);
            else
                usleep(10000);
        }
    }
    for (;;)
        pause();
}
