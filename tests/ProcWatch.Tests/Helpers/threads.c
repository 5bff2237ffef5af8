/* Creates N threads (argv[1], default 4) that each live a little while, joins them, exits 0.
 * Used by the integration tests to see clone events (tid != pid) and thread exits. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static void *work(void *arg)
{
    (void)arg;
    struct timespec t = { 0, 50 * 1000 * 1000 };
    nanosleep(&t, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    pthread_t threads[64];
    if (n < 1 || n > 64) return 2;
    for (int i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, work, NULL) != 0) return 1;
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    return 0;
}
