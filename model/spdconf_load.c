/*
 * spdconf_load.c - load an SPD text or file into an ipsec_db: parse,
 * check, install.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "spdconf.h"

enum spdconf_status
spdconf_load_text(struct ipsec_db *db, const char *text, size_t len, const char *source,
                  struct spdconf_error *err)
{
    struct spdconf conf;

    spdconf_init(&conf);
    enum spdconf_status st = spdconf_parse(&conf, text, len, source, err);
    if (st == SPDCONF_OK)
        st = spdconf_check(&conf, source, err);
    if (st == SPDCONF_OK)
        st = spdconf_install(&conf, db, source, err);
    spdconf_free(&conf);
    return st;
}

static enum spdconf_status
file_error(struct spdconf_error *err, enum spdconf_status status, const char *path,
           const char *what)
{
    snprintf(err->message, sizeof err->message, "%s: %s", path, what);
    err->status = status;
    return status;
}

/* Read the whole file at path, at most SPDCONF_MAX_FILE bytes, into a new buffer. */
static enum spdconf_status
read_file(const char *path, char **text, size_t *len, struct spdconf_error *err)
{
    FILE *f = fopen(path, "rb");
    enum spdconf_status st = SPDCONF_OK;
    char *buf = NULL;
    size_t size = 0, cap = 0;

    if (!f)
        return file_error(err, SPDCONF_IO_ERROR, path, strerror(errno));
    for (;;) {
        if (size == cap) {
            size_t new_cap = cap ? 2 * cap : 4096;
            char *grown = new_cap <= 2 * (size_t)SPDCONF_MAX_FILE ? realloc(buf, new_cap) : NULL;
            if (!grown) {
                st = file_error(err, SPDCONF_NO_MEMORY, path, "out of memory reading the file");
                break;
            }
            buf = grown;
            cap = new_cap;
        }
        size_t n = fread(buf + size, 1, cap - size, f);
        size += n;
        if (size > SPDCONF_MAX_FILE) {
            st = file_error(err, SPDCONF_IO_ERROR, path,
                            "file is larger than 64 MiB; split the configuration");
            break;
        }
        if (n == 0) {
            if (ferror(f))
                st = file_error(err, SPDCONF_IO_ERROR, path, "failed to read the file");
            break;
        }
    }
    fclose(f);
    if (st != SPDCONF_OK) {
        if (buf)
            OPENSSL_cleanse(buf, size < cap ? size : cap);
        free(buf);
        return st;
    }
    *text = buf;
    *len = size;
    return SPDCONF_OK;
}

enum spdconf_status
spdconf_load_file(struct ipsec_db *db, const char *path, struct spdconf_error *err)
{
    char *text = NULL;
    size_t len = 0;

    memset(err, 0, sizeof *err);
    enum spdconf_status st = read_file(path, &text, &len, err);
    if (st != SPDCONF_OK)
        return st;
    st = spdconf_load_text(db, text, len, path, err);
    if (text)
        OPENSSL_cleanse(text, len);
    free(text);
    return st;
}
