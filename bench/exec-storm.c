/* exec-storm: N sequential fork+execv("/bin/true", {"/bin/true", "PREFIX-000001"}) at full
 * speed, each waited for. Every exec has a unique, known argv, so a monitor's output can be
 * checked for exactly which execs it reported with the right arguments.
 * Usage: exec-storm COUNT PREFIX   (ProcWatch's own code; build: cc -O2 -o exec-storm exec-storm.c) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s COUNT PREFIX\n", argv[0]);
        return 2;
    }
    long count = strtol(argv[1], NULL, 10);
    for (long i = 1; i <= count; i++) {
        char token[128];
        snprintf(token, sizeof token, "%s-%06ld", argv[2], i);
        pid_t pid = fork();
        if (pid == 0) {
            char *args[] = {"/bin/true", token, NULL};
            execv(args[0], args);
            _exit(127);
        }
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        int status;
        waitpid(pid, &status, 0);
    }
    return 0;
}
