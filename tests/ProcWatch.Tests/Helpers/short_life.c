/* short_life [ARG...]: touches 4 MiB (a peak RSS to see), sleeps 1 ms and exits 3. A process
 * gone before a /proc reader could look: every field of its events must come from the kernel. */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    char *block = malloc(4 << 20);
    if (block == NULL)
        return 1;
    memset(block, 1, 4 << 20);
    usleep(1000);
    return block[4096] == 1 ? 3 : 1;
}
