/* plot.c - `qsim plot DIR` and `qsim report DIR...`: the charts and
 * report of experiment folders, drawn by plot/plot.sh with gnuplot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

/* qsim plot DIR: the charts and report are drawn by plot/plot.sh, found
 * beside data/ (the repository layout, or share/qsim after make install),
 * with gnuplot. The folder reaches the script as an argument, never
 * through a shell. */
static int plot_dir(const char *dir)
{
    char data[1024], script[1100];
    cli_find_data(NULL, data, sizeof data);
    snprintf(script, sizeof script, "%s/../plot/plot.sh", data);
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "qsim: plot: %s not found (run from the qsim folder, or set QSIM_DATA)\n", script);
        return 2;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", script, dir, (char *)NULL);
        fprintf(stderr, "qsim: plot: cannot run sh: %s\n", strerror(errno));
        _exit(1);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int cmd_plot(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return cli_usage_error("%s", "plot wants one experiment folder, e.g. 'qsim plot out/latest'");
    return plot_dir(argc == 2 ? argv[1] : "out/latest");
}

int cmd_report(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2)
        return cli_usage_error("%s", "report wants experiment folders, e.g. 'qsim report out/run/*'");
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            return cli_usage_error("report: unknown option '%s'", argv[i]);
    }
    for (int i = 1; i < argc; i++) {
        int r = plot_dir(argv[i]);
        if (r && !rc)
            rc = r;
    }
    return rc;
}
