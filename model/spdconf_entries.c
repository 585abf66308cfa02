/*
 * spdconf_entries.c - the container of parsed SPD and SAD entries, and
 * the error messages all spdconf functions share.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "spdconf.h"

enum spdconf_status
spdconf_set_error(struct spdconf_error *err, enum spdconf_status status, const char *source,
                  size_t line, const char *fmt, ...)
{
    int n = line ? snprintf(err->message, sizeof err->message, "%s:%zu: ", source, line)
                 : snprintf(err->message, sizeof err->message, "%s: ", source);
    va_list ap;

    if (n < 0 || (size_t)n >= sizeof err->message)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    err->status = status;
    err->line = line;
    return status;
}

void
spdconf_init(struct spdconf *conf)
{
    memset(conf, 0, sizeof *conf);
    addrmap_init(&conf->sa_by_name);
}

void
spdconf_free(struct spdconf *conf)
{
    if (conf->sas)
        OPENSSL_cleanse(conf->sas, conf->cap_sas * sizeof *conf->sas);
    free(conf->sas);
    free(conf->policies);
    addrmap_free(&conf->sa_by_name);
    memset(conf, 0, sizeof *conf);
}

/* The addrmap key of an SA name: the name, zero-padded; longer names are cut. */
static void
name_key(uint8_t key[16], const char *name)
{
    size_t len = strnlen(name, IPSEC_SA_NAME_LEN - 1);

    memset(key, 0, 16);
    memcpy(key, name, len);
}

/* Make room for one more item of size item in *items. */
static bool
grow(void **items, size_t *cap, size_t count, size_t item)
{
    if (count < *cap)
        return true;
    size_t new_cap = *cap ? 2 * *cap : 8;
    void *grown = calloc(new_cap, item);
    if (!grown)
        return false;
    if (*items) {
        memcpy(grown, *items, count * item);
        /* The old array may hold keys. */
        OPENSSL_cleanse(*items, count * item);
        free(*items);
    }
    *items = grown;
    *cap = new_cap;
    return true;
}

struct spdconf_sa *
spdconf_add_sa(struct spdconf *conf, const struct spdconf_sa *sa)
{
    uint8_t key[16];

    if (!grow((void **)&conf->sas, &conf->cap_sas, conf->n_sas, sizeof *conf->sas))
        return NULL;
    name_key(key, sa->name);
    /* The map stores index + 1, because it reserves NULL for empty slots. */
    if (!addrmap_put(&conf->sa_by_name, key, (void *)(uintptr_t)(conf->n_sas + 1)))
        return NULL;
    conf->sas[conf->n_sas] = *sa;
    conf->sas[conf->n_sas].name[IPSEC_SA_NAME_LEN - 1] = '\0';
    return &conf->sas[conf->n_sas++];
}

struct spdconf_policy *
spdconf_add_policy(struct spdconf *conf, const struct spdconf_policy *policy)
{
    if (!grow((void **)&conf->policies, &conf->cap_policies, conf->n_policies,
              sizeof *conf->policies))
        return NULL;
    conf->policies[conf->n_policies] = *policy;
    return &conf->policies[conf->n_policies++];
}

const struct spdconf_sa *
spdconf_find_sa(const struct spdconf *conf, const char *name)
{
    uint8_t key[16];

    if (strnlen(name, IPSEC_SA_NAME_LEN) >= IPSEC_SA_NAME_LEN)
        return NULL;
    name_key(key, name);
    uintptr_t index = (uintptr_t)addrmap_get(&conf->sa_by_name, key);
    return index ? &conf->sas[index - 1] : NULL;
}
