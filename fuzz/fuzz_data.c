/* fuzz_data.c - libFuzzer target for the data files: pricing files
 * (model/pricing.c) and limits files (model/scenario.c's limits loader).
 * The first byte chooses the parser (even: pricing, odd: limits), the rest
 * is the file. Each input is written to a file under /dev/shm (the loaders
 * read paths), then loaded: a valid file must load and give sane values, a
 * bad one must be refused the documented way (code 2, a message that starts
 * with the file name), never crash, leak or overflow (ASan + UBSan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/pricing.h"
#include "model/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!path[0])
        snprintf(path, sizeof path, "/dev/shm/qsim-fuzz-data.%ld.json", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    sim_err err = { 0, "" };
    int rc;
    if (data[0] % 2 == 0) {
        pr_plan p;
        rc = pr_load(path, &p, &err);
        if (rc == 0 && (p.read_pusd < 0 || p.write_pusd < 0 || p.request_pusd < 0 || p.days_per_month < 1))
            abort(); /* a loaded plan never has a negative price */
    } else {
        sc_limits l;
        rc = sc_load_limits(path, &l, &err);
        if (rc == 0 && (l.cache_ttl_default < l.cache_ttl_min || l.value_max_bytes < 1))
            abort(); /* the loader's own checks */
    }
    if (rc != 0 && (err.code != 2 || strncmp(err.msg, path, strlen(path)) != 0)) {
        fprintf(stderr, "fuzz_data: bad refusal: code %d, msg '%s'\n", err.code, err.msg);
        abort();
    }
    unlink(path);
    return 0;
}
