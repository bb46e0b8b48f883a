/* test_scenario_fields.c - the field tables (model/scenario_fields.c) that
 * drive both the scenario parser and the writer:
 *  - every key of every table (humans, bots, strategy, deployed and its
 *    rate_limit) and every declared strategy parameter is documented in its
 *    section of docs/scenarios.md, as a row's first column;
 *  - each key of a human and of a bot, given alone, changes the member
 *    this file expects (its own list, not the tables) and no other byte: a
 *    table entry pointing at the wrong member fails here, where the round
 *    trip (same wrong member both ways) would pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "model/scenario_int.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc((size_t)n + 1);
    assert_non_null(t);
    assert_int_equal(fread(t, 1, (size_t)n, f), (size_t)n);
    t[n] = 0;
    fclose(f);
    return t;
}

/* The text of section "## name" up to the next "## ". */
static char *section(const char *doc, const char *name)
{
    char head[64];
    snprintf(head, sizeof head, "\n## %s\n", name);
    const char *a = strstr(doc, head);
    if (!a)
        fail_msg("docs/scenarios.md has no section '## %s'", name);
    a += strlen(head);
    const char *b = strstr(a, "\n## ");
    size_t n = b ? (size_t)(b - a) : strlen(a);
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, a, n);
    s[n] = 0;
    return s;
}

/* Is `key` in the first column of a table row of sec? */
static int documented(const char *sec, const char *key)
{
    char want[96];
    snprintf(want, sizeof want, "`%s`", key);
    for (const char *l = sec; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, "| ", 2) != 0)
            continue;
        const char *end = strstr(l + 2, " |");
        const char *hit = strstr(l + 2, want);
        if (hit && end && hit < end)
            return 1;
    }
    return 0;
}

static void check_table(const char *sec, const char *prefix, const sc_field *f, size_t n, const char *where)
{
    for (size_t i = 0; i < n; i++) {
        char key[96];
        snprintf(key, sizeof key, "%s%s", prefix, f[i].key);
        if (f[i].kind == SF_OBJECT) {
            check_table(sec, key[0] ? strcat(key, ".") : key, f[i].sub, f[i].nsub, where);
            continue;
        }
        if (!documented(sec, key))
            fail_msg("'%s' (a key of %s) is not documented in docs/scenarios.md, section '## %s'", key, where,
                     where);
    }
}

static void test_tables_documented(void **state)
{
    (void)state;
    char *doc = slurp("docs/scenarios.md");
    static const struct { const char *sec; const sc_field *f; const size_t *n; } tables[] = {
        { "humans", sc__human_fields, &sc__nhuman_fields },
        { "bots", sc__bot_fields, &sc__nbot_fields },
        { "strategy", sc__strategy_fields, &sc__nstrategy_fields },
        { "deployed", sc__deployed_fields, &sc__ndeployed_fields },
    };
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char *sec = section(doc, tables[t].sec);
        check_table(sec, "", tables[t].f, *tables[t].n, tables[t].sec);
        free(sec);
    }
    char *sec = section(doc, "strategy");
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams; k++)
            if (!documented(sec, (*r)->params[k].name))
                fail_msg("strategy parameter '%s' (Option %s) is not documented in docs/scenarios.md",
                         (*r)->params[k].name, (*r)->name);
    free(sec);
    free(doc);
}

/* The distributions of a struct repacked: their padding, copied from a
 * local, is indeterminate. */
static void repack(unsigned char *obj, const size_t *dist_offs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dist d, z;
        memcpy(&d, obj + dist_offs[i], sizeof d);
        memset(&z, 0, sizeof z);
        z.kind = d.kind;
        z.a = d.a;
        z.b = d.b;
        z.sigma = d.sigma;
        memcpy(obj + dist_offs[i], &z, sizeof z);
    }
}

/* The oracle, written here by hand (not taken from the tables): which
 * member each key of a human and of a bot sets, and a value other than its
 * default. */
#define EXP(type, key, member, val) { #type, key, val, offsetof(type, member), sizeof(((type *)0)->member) }
static const struct { const char *obj, *key, *val; size_t off, len; } expect_members[] = {
    EXP(sc_human, "name", name, "'zed'"), EXP(sc_human, "location", loc, "'fra'"),
    EXP(sc_human, "rate_per_s", rate_per_s, "2.5"),
    /* a profile sets rate_per_s (its mean), have_profile and the 24 rates: the three members in a row */
    { "sc_human", "rate_by_hour", "[0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2]", offsetof(sc_human, rate_per_s),
      offsetof(sc_human, rate_by_hour) + sizeof(((sc_human *)0)->rate_by_hour) - offsetof(sc_human, rate_per_s) }, EXP(sc_human, "entity_share", entity_share, "0.25"),
    EXP(sc_human, "legacy_share", legacy_share, "0.75"), EXP(sc_human, "bytes", bytes, "123"),
    EXP(sc_human, "priority", priority, "9"), EXP(sc_human, "rate_limited", rate_limited, "false"),
    EXP(sc_bot, "name", name, "'zed'"), EXP(sc_bot, "location", loc, "'fra'"),
    EXP(sc_bot, "loop", loop, "'interval'"), EXP(sc_bot, "poll_every", poll_every, "'9s'"),
    EXP(sc_bot, "first_poll", first_poll, "'2s'"), EXP(sc_bot, "generation", generation, "'7s'"),
    EXP(sc_bot, "reply_bytes", reply_bytes, "99"), EXP(sc_bot, "fail_prob", fail_prob, "0.5"),
    EXP(sc_bot, "crash_prob", crash_prob, "0.125"), EXP(sc_bot, "restart_after", restart_after, "'44s'"),
    EXP(sc_bot, "rate_limited", rate_limited, "true"),
};

static void test_each_entry_lands_in_its_member(void **state)
{
    (void)state;
    static const size_t human_dists[] = { offsetof(sc_human, bytes) };
    static const size_t bot_dists[] = { offsetof(sc_bot, generation), offsetof(sc_bot, reply_bytes) };
    scenario *base = h_parse_sq("{'locations':['ewr','fra'],'humans':[{}],'bots':[{}]}");
    for (int t = 0; t < 2; t++) {
        const char *obj = t ? "sc_bot" : "sc_human";
        const sc_field *f = t ? sc__bot_fields : sc__human_fields;
        size_t n = t ? sc__nbot_fields : sc__nhuman_fields, checked = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            while (k < sizeof expect_members / sizeof expect_members[0] &&
                   (strcmp(expect_members[k].obj, obj) != 0 || strcmp(expect_members[k].key, f[i].key) != 0))
                k++;
            if (k == sizeof expect_members / sizeof expect_members[0])
                fail_msg("%s: no expected member for key '%s': add it to expect_members[]", obj, f[i].key);
            char full[320];
            if (t)
                snprintf(full, sizeof full, "{'locations':['ewr','fra'],'humans':[{}],'bots':[{'%s':%s}]}", f[i].key,
                         expect_members[k].val);
            else
                snprintf(full, sizeof full, "{'locations':['ewr','fra'],'humans':[{'%s':%s}],'bots':[{}]}", f[i].key,
                         expect_members[k].val);
            scenario *s = h_parse_sq(full);
            unsigned char p[sizeof(sc_bot) > sizeof(sc_human) ? sizeof(sc_bot) : sizeof(sc_human)], q[sizeof p];
            size_t size = t ? sizeof(sc_bot) : sizeof(sc_human);
            memcpy(p, t ? (const void *)&s->bots[0] : (const void *)&s->humans[0], size);
            memcpy(q, t ? (const void *)&base->bots[0] : (const void *)&base->humans[0], size);
            repack(p, t ? bot_dists : human_dists, t ? 2 : 1);
            repack(q, t ? bot_dists : human_dists, t ? 2 : 1);
            size_t off = expect_members[k].off, len = expect_members[k].len;
            for (size_t b = 0; b < size; b++)
                if ((b < off || b >= off + len) && p[b] != q[b])
                    fail_msg("%s[0].%s: byte %zu changed, outside its member (bytes %zu..%zu)", t ? "bots" : "humans",
                             f[i].key, b, off, off + len - 1);
            if (memcmp(p + off, q + off, len) == 0)
                fail_msg("%s[0].%s: its member did not change", t ? "bots" : "humans", f[i].key);
            sc_free(s);
            checked++;
        }
        assert_true(checked >= 8);
    }
    sc_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_documented),
        cmocka_unit_test(test_each_entry_lands_in_its_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
