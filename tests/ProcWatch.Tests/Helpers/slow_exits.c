/* Exits whose two kernel reports straddle a second of CLOCK_MONOTONIC: argv[1] rounds (default 3)
 * of argv[2] children (default 8), each holding argv[3] MB of touched memory (default 64), all
 * killed together just before a whole second. sched_process_exit fires at the start of do_exit,
 * the proc connector's exit only after exit_mm has freed the memory: the first lands before the
 * second boundary, the second after it. Prints nothing; exit status 0 when every child ended. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void hold(long mb, int ready)
{
    size_t size = (size_t)mb << 20;
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(2);
    for (size_t i = 0; i < size; i += 4096)
        p[i] = 1;
    char c = 'r';
    if (write(ready, &c, 1) != 1)
        _exit(3);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    int count = argc > 2 ? atoi(argv[2]) : 8;
    long mb = argc > 3 ? atol(argv[3]) : 64;
    if (rounds < 1 || count < 1 || count > 256 || mb < 1)
        return 64;
    pid_t children[256];
    for (int r = 0; r < rounds; r++) {
        int ready[2];
        if (pipe(ready) != 0)
            return 1;
        for (int i = 0; i < count; i++) {
            children[i] = fork();
            if (children[i] < 0)
                return 1;
            if (children[i] == 0) {
                close(ready[0]);
                hold(mb, ready[1]);
            }
        }
        close(ready[1]);
        for (int i = 0; i < count; i++) {
            char c;
            if (read(ready[0], &c, 1) != 1)
                return 1;
        }
        close(ready[0]);
        /* 3 ms before the next whole second: the kills' sched_process_exit before it, the
         * freeing of count * mb MB (tens of ms) after it. */
        long long next = (now_ns() / 1000000000LL + 1) * 1000000000LL;
        if (next - now_ns() < 200000000LL)
            next += 1000000000LL;
        long long at = next - 3000000LL;
        struct timespec t = { at / 1000000000LL, at % 1000000000LL };
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
        for (int i = 0; i < count; i++)
            kill(children[i], SIGKILL);
        for (int i = 0; i < count; i++) {
            int status;
            if (waitpid(children[i], &status, 0) != children[i] || !WIFSIGNALED(status))
                return 1;
        }
    }
    return 0;
}
