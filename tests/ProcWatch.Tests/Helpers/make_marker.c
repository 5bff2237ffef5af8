/* make_marker PATH: creates PATH and exits 0 (1 ms of life). A denied copy of it must never
 * run a single instruction: the file it would create never appears. */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *path = argc > 2 ? argv[2] : argc > 1 ? argv[1] : NULL;
    if (path != NULL && path[0] == '/') {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    usleep(1000);
    return 0;
}
