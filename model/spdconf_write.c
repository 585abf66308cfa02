/*
 * spdconf_write.c - the SPD text format from a struct spdconf or an
 * ipsec_db: the reverse of spdconf.c.  spdconf_parse reads back every
 * text written here and gives the same entries.
 */
#define _POSIX_C_SOURCE 200809L /* fdopen, strnlen */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ipv6.h"
#include "spdconf.h"

/* A growing string; after a failed allocation every append does nothing. */
struct text {
    char *buf;
    size_t len;
    size_t cap;
    bool failed;
};

static void
append(struct text *t, const char *fmt, ...)
{
    va_list ap;

    if (t->failed)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = true;
        return;
    }
    if (t->buf && (size_t)n < t->cap - t->len) {
        t->len += (size_t)n;
        return;
    }

    /* Too small: grow to fit and format again. */
    size_t cap = t->cap ? t->cap : 1024;
    while (cap - t->len <= (size_t)n)
        cap *= 2;
    char *grown = malloc(cap);
    if (!grown) {
        t->failed = true;
        return;
    }
    if (t->buf) {
        memcpy(grown, t->buf, t->len);
        OPENSSL_cleanse(t->buf, t->cap);
        free(t->buf);
    }
    t->buf = grown;
    t->cap = cap;
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static void
append_hex(struct text *t, const uint8_t *bytes, size_t len)
{
    append(t, "0x");
    for (size_t i = 0; i < len; i++)
        append(t, "%02x", bytes[i]);
}

/* ADDRESS/LENGTH, or "any" for ::/0. */
static void
append_prefix(struct text *t, const char *key, const uint8_t addr[16], uint8_t len)
{
    static const uint8_t zero[16];
    char a[IP6_ADDR_TEXT_LEN];

    if (len == 0 && memcmp(addr, zero, 16) == 0)
        append(t, " %s=any", key);
    else
        append(t, " %s=%s/%u", key, ip6_addr_to_text(addr, a, sizeof a), (unsigned)len);
}

static void
append_address(struct text *t, const char *key, const uint8_t addr[16])
{
    char a[IP6_ADDR_TEXT_LEN];
    append(t, " %s=%s", key, ip6_addr_to_text(addr, a, sizeof a));
}

/* src, dst, proto and the next-layer selectors. */
static void
append_selector(struct text *t, const struct ipsec_selector *s)
{
    append_prefix(t, "src", s->src, s->src_len);
    append_prefix(t, "dst", s->dst, s->dst_len);

    const char *proto = spdconf_proto_name(s->proto);
    if (s->proto == IPSEC_PROTO_ANY)
        append(t, " proto=any");
    else if (proto)
        append(t, " proto=%s", proto);
    else
        append(t, " proto=%d", s->proto);

    if (s->mh_type_set) {
        const char *name = spdconf_mh_type_name(s->mh_type);
        if (name)
            append(t, " mh-type=%s", name);
        else
            append(t, " mh-type=%u", (unsigned)s->mh_type);
    }
    if (s->icmp_type_set) {
        const char *name = spdconf_icmp_type_name(s->icmp_type);
        if (name)
            append(t, " icmp-type=%s", name);
        else
            append(t, " icmp-type=%u", (unsigned)s->icmp_type);
    }
    if (s->icmp_code_set)
        append(t, " icmp-code=%u", (unsigned)s->icmp_code);
}

static void
append_sa(struct text *t, const struct spdconf_sa *sa)
{
    bool tunnel = sa->mode == IPSEC_TUNNEL;

    append(t, "sa %s %s spi=0x%x mode=%s", sa->name, sa->dir == IPSEC_OUT ? "out" : "in",
           (unsigned)sa->spi, tunnel ? "tunnel" : "transport");
    if (sa->enc == ESP_ENC_AES_128_CBC) {
        append(t, " enc=aes-128-cbc key=");
        append_hex(t, sa->enc_key, ESP_AES_KEY_LEN);
    } else {
        append(t, " enc=null");
    }
    if (sa->auth == ESP_AUTH_HMAC_SHA1_96) {
        append(t, " auth=hmac-sha1-96 authkey=");
        append_hex(t, sa->auth_key, ESP_HMAC_SHA1_KEY_LEN);
    } else {
        append(t, " auth=null");
    }
    append_selector(t, &sa->sel);
    /* The parser's default: tunnel-mode SAs carry tunnel-interface traffic. */
    if (sa->sel.tunnel_iface != tunnel)
        append(t, " iface=%s", sa->sel.tunnel_iface ? "tunnel" : "physical");
    if (tunnel) {
        append_address(t, "tunnel-src", sa->tunnel_src);
        append_address(t, "tunnel-dst", sa->tunnel_dst);
    }
    append(t, "\n");
}

static void
append_policy(struct text *t, const struct spdconf_policy *p)
{
    static const char *const actions[] = {"protect", "bypass", "discard"};

    append(t, "policy %s", p->dir == IPSEC_OUT ? "out" : "in");
    append_selector(t, &p->sel);
    append(t, " iface=%s action=%s", p->sel.tunnel_iface ? "tunnel" : "physical",
           actions[p->action]);
    if (p->action == IPSEC_PROTECT)
        append(t, " sa=%s", p->sa_name);
    if (!p->active)
        append(t, " active=no");
    append(t, "\n");
}

char *
spdconf_format(const struct spdconf *conf)
{
    struct text t = {NULL, 0, 0, false};
    const char *section = NULL;

    append(&t, "# SPD and SAD of one node in the mip6sec format (docs/spd-format.md).\n"
               "# The sa lines contain secret keys.\n");
    if (conf->n_sas)
        append(&t, "\n");
    for (size_t i = 0; i < conf->n_sas; i++)
        append_sa(&t, &conf->sas[i]);
    for (size_t i = 0; i < conf->n_policies; i++) {
        const struct spdconf_policy *p = &conf->policies[i];
        if (i == 0 || (p->section && p->section != section)) {
            append(&t, "\n");
            if (p->section)
                append(&t, "# %s\n", p->section);
        }
        section = p->section;
        append_policy(&t, p);
    }
    if (t.failed) {
        if (t.buf)
            OPENSSL_cleanse(t.buf, t.cap);
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

/* ---- from a database ---- */

static enum spdconf_status
sa_from_db(struct spdconf *conf, const struct ipsec_sa *sa, struct spdconf_error *err)
{
    struct spdconf_sa c = {.dir = sa->dir, .mode = sa->mode, .sel = sa->sel};
    size_t name_len = strnlen(sa->name, sizeof sa->name);

    if (name_len == sizeof sa->name || !spdconf_valid_name(sa->name))
        return spdconf_set_error(err, SPDCONF_BAD_VALUE, "database", 0,
                                 "SA name '%.*s' cannot be written: names are 1 to %d letters, "
                                 "digits, '_', '-' or '.', starting with a letter",
                                 (int)name_len, sa->name, IPSEC_SA_NAME_LEN - 1);
    if (spdconf_find_sa(conf, sa->name))
        return spdconf_set_error(err, SPDCONF_DUPLICATE_SA, "database", 0,
                                 "two SAs are named '%s'; the format needs unique names", sa->name);
    memcpy(c.name, sa->name, name_len + 1);
    memcpy(c.tunnel_src, sa->tunnel_src, 16);
    memcpy(c.tunnel_dst, sa->tunnel_dst, 16);
    c.spi = sa->esp.spi;
    c.enc = sa->esp.enc;
    c.auth = sa->esp.auth;
    memcpy(c.enc_key, sa->esp.enc_key, sizeof c.enc_key);
    memcpy(c.auth_key, sa->esp.auth_key, sizeof c.auth_key);

    enum spdconf_status st = SPDCONF_OK;
    if (!spdconf_add_sa(conf, &c))
        st = spdconf_set_error(err, SPDCONF_NO_MEMORY, "database", 0, "out of memory");
    OPENSSL_cleanse(&c, sizeof c);
    return st;
}

enum spdconf_status
spdconf_from_db(struct spdconf *conf, const struct ipsec_db *db, struct spdconf_error *err)
{
    enum spdconf_status st = SPDCONF_OK;

    memset(err, 0, sizeof *err);
    for (size_t i = 0; i < db->n_sas && st == SPDCONF_OK; i++)
        st = sa_from_db(conf, db->sas[i], err);

    for (size_t i = 0; i < db->all.count && st == SPDCONF_OK; i++) {
        const struct ipsec_policy *p = db->all.items[i];
        struct spdconf_policy c = {
            .dir = p->dir, .sel = p->sel, .action = p->action, .active = p->active};

        if (p->action == IPSEC_PROTECT && !p->sa)
            return spdconf_set_error(err, SPDCONF_MISSING_FIELD, "database", 0,
                                     "policy %zu protects traffic but has no SA", i + 1);
        if (p->sa)
            memcpy(c.sa_name, p->sa->name, sizeof c.sa_name);
        c.sa_name[sizeof c.sa_name - 1] = '\0';
        if (!spdconf_add_policy(conf, &c))
            st = spdconf_set_error(err, SPDCONF_NO_MEMORY, "database", 0, "out of memory");
    }
    return st;
}

enum spdconf_status
spdconf_write_file(const struct ipsec_db *db, const char *path, struct spdconf_error *err)
{
    struct spdconf conf;
    char *text = NULL;

    spdconf_init(&conf);
    enum spdconf_status st = spdconf_from_db(&conf, db, err);
    if (st == SPDCONF_OK) {
        text = spdconf_format(&conf);
        if (!text)
            st = spdconf_set_error(err, SPDCONF_NO_MEMORY, path, 0, "out of memory formatting");
    }
    spdconf_free(&conf);
    if (st != SPDCONF_OK)
        return st;

    /* Only the owner may read the keys, also when the file existed before. */
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0 && fchmod(fd, 0600) != 0) {
        close(fd);
        fd = -1;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || fwrite(text, 1, len, f) != len)
        st = spdconf_set_error(err, SPDCONF_IO_ERROR, path, 0, "failed to write the file: %s",
                               strerror(errno));
    if (f && fclose(f) != 0 && st == SPDCONF_OK)
        st = spdconf_set_error(err, SPDCONF_IO_ERROR, path, 0, "failed to write the file: %s",
                               strerror(errno));
    if (!f && fd >= 0)
        close(fd);
    OPENSSL_cleanse(text, len);
    free(text);
    return st;
}
