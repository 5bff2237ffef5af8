/* memfd_exec SOURCE MARKER: forks; the child copies SOURCE into a memfd and fexecve()s it with
 * argv "memfd-prog MARKER" (a program that never was a file). Prints how the child ended, as
 * deny_storm does: "ran=A eperm=B killed=C other=D last_other=S". The child's parent is this
 * program, so a rule can name this program's copy as parent_executable. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: memfd_exec SOURCE MARKER\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int src = open(argv[1], O_RDONLY | O_CLOEXEC);
        int mem = memfd_create("memfd-prog", MFD_CLOEXEC);
        struct stat st;
        if (src < 0 || mem < 0 || fstat(src, &st) != 0 || sendfile(mem, src, NULL, st.st_size) != st.st_size)
            _exit(203);
        char *args[] = { "memfd-prog", argv[2], NULL };
        fexecve(mem, args, environ);
        _exit(errno == EPERM ? 201 : 202);
    }
    int status;
    waitpid(pid, &status, 0);
    int ran = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    int eperm = WIFEXITED(status) && WEXITSTATUS(status) == 201;
    int killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    int other = !ran && !eperm && !killed;
    printf("ran=%d eperm=%d killed=%d other=%d last_other=%d\n", ran, eperm, killed, other, other ? status : 0);
    return 0;
}
