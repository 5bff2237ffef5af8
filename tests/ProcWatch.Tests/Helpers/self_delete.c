/* self_delete: a dropped binary that removes itself and exits at once (issue 22 item 2):
 * unlink(argv[0]) then _exit(0), microseconds after its exec. */
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    unlink(argv[0]);
    _exit(0);
}
