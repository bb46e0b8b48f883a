/* zig_tables.c - prints the exponential ziggurat's tables of sim/rng.c
 * (zig_k, zig_w, zig_f): Marsaglia and Tsang's set-up loop for 256 strips
 * ("The Ziggurat Method for Generating Random Variables", Journal of
 * Statistical Software 5(8), 2000, function zigset), with the value u taken
 * from 24 bits (u = word >> 8) instead of the paper's 32. Run once; the
 * output is pasted into sim/rng.c, so no build computes a table:
 *     cc -O2 tools/zig_tables.c -o /tmp/zig_tables -lm && /tmp/zig_tables
 * gcc -O0, gcc -O2 and clang -O2 builds print the same bits. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    uint32_t k[256];
    double w[256], f[256];
    const double m = 16777216.0; /* 2^24: the range of u */
    double de = 7.697117470131487, te = de, ve = 3.949659822581572e-3;
    double q = ve / exp(-de);
    k[0] = (uint32_t)((de / q) * m);
    k[1] = 0;
    w[0] = q / m;
    w[255] = de / m;
    f[0] = 1.0;
    f[255] = exp(-de);
    for (int i = 254; i >= 1; i--) {
        de = -log(ve / de + exp(-de));
        k[i + 1] = (uint32_t)((de / te) * m);
        te = de;
        f[i] = exp(-de);
        w[i] = de / m;
    }
    printf("static const uint32_t zig_k[256] = {\n");
    for (int i = 0; i < 256; i++)
        printf("%s%u,%s", i % 8 ? " " : "    ", k[i], i % 8 == 7 ? "\n" : "");
    printf("};\n\nstatic const double zig_w[256] = {\n");
    for (int i = 0; i < 256; i++)
        printf("%s%a,%s", i % 4 ? " " : "    ", w[i], i % 4 == 3 ? "\n" : "");
    printf("};\n\nstatic const double zig_f[256] = {\n");
    for (int i = 0; i < 256; i++)
        printf("%s%a,%s", i % 4 ? " " : "    ", f[i], i % 4 == 3 ? "\n" : "");
    printf("};\n");
    return 0;
}
