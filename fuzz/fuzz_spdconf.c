/*
 * fuzz_spdconf.c - the SPD text format parser, checker and writer.
 *
 * Input: any bytes, read as the text of one node's configuration.
 *
 * Oracle:
 *   - spdconf_parse returns a known status; an error carries the same
 *     status, a line number inside the input and a message that starts
 *     with "fuzz:LINE: ";
 *   - a text that parses is written by spdconf_format, and that text
 *     parses again into the same entries and formats to the same text;
 *   - a configuration that also passes spdconf_check installs into an
 *     empty ipsec_db, and the database written back gives the same text.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ipsec.h"
#include "spdconf.h"

#define SOURCE "fuzz"

static size_t
count_lines(const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    return lines;
}

static void
check_error(enum spdconf_status st, const struct spdconf_error *err, size_t lines)
{
    char prefix[64];

    FUZZ_ASSERT(st > SPDCONF_OK && st <= SPDCONF_INSTALL_FAILED);
    FUZZ_ASSERT(err->status == st);
    FUZZ_ASSERT(err->line >= 1 && err->line <= lines);
    snprintf(prefix, sizeof prefix, SOURCE ":%zu: ", err->line);
    FUZZ_ASSERT(strncmp(err->message, prefix, strlen(prefix)) == 0);
    FUZZ_ASSERT(strlen(err->message) > strlen(prefix));
}

static bool
same_selector(const struct ipsec_selector *a, const struct ipsec_selector *b)
{
    return memcmp(a->src, b->src, 16) == 0 && a->src_len == b->src_len &&
           memcmp(a->dst, b->dst, 16) == 0 && a->dst_len == b->dst_len && a->proto == b->proto &&
           a->tunnel_iface == b->tunnel_iface && a->mh_type_set == b->mh_type_set &&
           a->mh_type == b->mh_type && a->icmp_type_set == b->icmp_type_set &&
           a->icmp_type == b->icmp_type && a->icmp_code_set == b->icmp_code_set &&
           a->icmp_code == b->icmp_code;
}

static void
check_same_entries(const struct spdconf *a, const struct spdconf *b)
{
    FUZZ_ASSERT(a->n_sas == b->n_sas);
    FUZZ_ASSERT(a->n_policies == b->n_policies);
    for (size_t i = 0; i < a->n_sas; i++) {
        const struct spdconf_sa *x = &a->sas[i], *y = &b->sas[i];
        FUZZ_ASSERT(strcmp(x->name, y->name) == 0);
        FUZZ_ASSERT(x->dir == y->dir && x->mode == y->mode && x->spi == y->spi);
        FUZZ_ASSERT(x->enc == y->enc && x->auth == y->auth);
        FUZZ_ASSERT(memcmp(x->enc_key, y->enc_key, sizeof x->enc_key) == 0);
        FUZZ_ASSERT(memcmp(x->auth_key, y->auth_key, sizeof x->auth_key) == 0);
        FUZZ_ASSERT(same_selector(&x->sel, &y->sel));
        if (x->mode == IPSEC_TUNNEL) {
            FUZZ_ASSERT(memcmp(x->tunnel_src, y->tunnel_src, 16) == 0);
            FUZZ_ASSERT(memcmp(x->tunnel_dst, y->tunnel_dst, 16) == 0);
        }
    }
    for (size_t i = 0; i < a->n_policies; i++) {
        const struct spdconf_policy *x = &a->policies[i], *y = &b->policies[i];
        FUZZ_ASSERT(x->dir == y->dir && x->action == y->action && x->active == y->active);
        FUZZ_ASSERT(same_selector(&x->sel, &y->sel));
        if (x->action == IPSEC_PROTECT)
            FUZZ_ASSERT(strcmp(x->sa_name, y->sa_name) == 0);
    }
}

/* Install conf into a new database and compare the text written back. */
static void
check_install(const struct spdconf *conf, const char *text)
{
    struct ipsec_db db;
    struct spdconf back;
    struct spdconf_error err;

    ipsec_db_init(&db);
    spdconf_init(&back);
    FUZZ_ASSERT(spdconf_install(conf, &db, SOURCE, &err) == SPDCONF_OK);
    FUZZ_ASSERT(db.n_sas == conf->n_sas && db.all.count == conf->n_policies);
    FUZZ_ASSERT(spdconf_from_db(&back, &db, &err) == SPDCONF_OK);
    char *again = spdconf_format(&back);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(strcmp(again, text) == 0);
    free(again);
    spdconf_free(&back);
    ipsec_db_free(&db);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct spdconf conf, reparsed;
    struct spdconf_error err;

    spdconf_init(&conf);
    spdconf_init(&reparsed);
    enum spdconf_status st = spdconf_parse(&conf, (const char *)data, size, SOURCE, &err);
    if (st != SPDCONF_OK) {
        check_error(st, &err, count_lines(data, size));
        goto out;
    }

    char *text = spdconf_format(&conf);
    FUZZ_ASSERT(text != NULL);
    FUZZ_ASSERT(spdconf_parse(&reparsed, text, strlen(text), SOURCE, &err) == SPDCONF_OK);
    check_same_entries(&conf, &reparsed);
    char *text2 = spdconf_format(&reparsed);
    FUZZ_ASSERT(text2 != NULL && strcmp(text, text2) == 0);
    free(text2);

    st = spdconf_check(&conf, SOURCE, &err);
    if (st == SPDCONF_OK)
        check_install(&conf, text);
    else
        check_error(st, &err, count_lines(data, size));
    free(text);

out:
    spdconf_free(&conf);
    spdconf_free(&reparsed);
    return 0;
}
