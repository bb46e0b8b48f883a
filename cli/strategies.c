/* strategies.c - `qsim strategies`: the registry's names and summaries. */
#include <stdio.h>

#include "cli/cli.h"
#include "model/strategy.h"

int cmd_strategies(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error("%s", "strategies takes no arguments");
    for (const st_hooks *const *s = st_registry(); *s; s++)
        printf("%-10s %s\n", (*s)->name, (*s)->summary);
    puts("\ncombine with '+', e.g. 1+2; see docs/strategies.md");
    return 0;
}
