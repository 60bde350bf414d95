/* measure: runs one command and reports its wall time, peak memory and
 * CPU time.
 * Usage: measure [-o STDOUT_FILE] [-e STDERR_FILE] -- COMMAND [ARG...]
 * The command's stdout and stderr go to /dev/null unless redirected. Prints
 * "SECONDS MAXRSS_KIB EXIT CPU_SECONDS" on stdout: wall time from fork to
 * exit (CLOCK_MONOTONIC), ru_maxrss from wait4 (the child's resident peak),
 * the exit status (128+N for signal N), and the child's CPU time (user plus
 * system, all its threads, from the same wait4). measure exits 0 if it ran
 * the command. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int redirect(const char *path, int fd)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f < 0 || dup2(f, fd) < 0)
        return -1;
    close(f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *out_path = "/dev/null", *err_path = "/dev/null";
    int opt;
    while ((opt = getopt(argc, argv, "+o:e:")) != -1) {
        if (opt == 'o')
            out_path = optarg;
        else if (opt == 'e')
            err_path = optarg;
        else
            return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: measure [-o FILE] [-e FILE] -- COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 1;
    }
    if (pid == 0) {
        if (redirect(out_path, 1) < 0 || redirect(err_path, 2) < 0)
            _exit(126);
        execvp(argv[optind], argv + optind);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("measure: wait4");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("%.4f %ld %d %.4f\n", secs, ru.ru_maxrss, code, cpu);
    return 0;
}
