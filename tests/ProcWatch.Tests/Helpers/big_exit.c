/* Holds argv[1] MB (default 2048) of touched memory, writes one byte to stdout when it does,
 * then waits to be killed. Its exit frees that memory in exit_mm: hundreds of milliseconds
 * between sched_process_exit (start of do_exit) and the proc connector's exit (after it). */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long mb = argc > 1 ? atol(argv[1]) : 2048;
    size_t size = (size_t)mb << 20;
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mb < 1 || p == MAP_FAILED)
        return 2;
    for (size_t i = 0; i < size; i += 4096)
        p[i] = 1;
    if (write(1, "r", 1) != 1)
        return 3;
    for (;;)
        pause();
}
