/* The main thread exits (pthread_exit) while a second thread runs on for argv[1] ms (default
 * 2500), then that thread ends the process with status 0. The kernel reports the main thread's
 * exit at once on the connector and the process's exit with the last thread. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static void *linger(void *arg)
{
    long ms = (long)arg;
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 2500;
    pthread_t thread;
    if (pthread_create(&thread, NULL, linger, (void *)ms) != 0)
        return 1;
    pthread_exit(NULL);
}
