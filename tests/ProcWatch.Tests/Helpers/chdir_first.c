/* chdir_first [ARG...]: changes to / before anything else, then exits 0. A monitor that reads
 * the cwd from /proc after the exec event sees "/"; the exec happened in the caller's cwd. */
#include <unistd.h>

int main(void)
{
    return chdir("/") == 0 ? 0 : 1;
}
