/*
 * replay.c - run a fuzz target over saved inputs without libFuzzer.
 *
 *   fuzz_replay_<name> PATH...
 *
 * Each PATH is a file or a directory, whose regular files run in name
 * order.  Every input is copied into a buffer of exactly its size, so a
 * sanitizer build catches a read past the end.  A failing oracle aborts
 * the program; otherwise it prints how many inputs ran and exits 0.  It
 * exits 1 when a path cannot be read or no input was found.
 */
#define _DEFAULT_SOURCE /* scandir, alphasort, d_type */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Read the whole file into a new buffer of exactly its size. */
static uint8_t *
read_file(const char *path, size_t *size_out)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t size = 0;

    if (!f)
        return NULL;
    for (;;) {
        uint8_t chunk[4096];
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n == 0)
            break;
        uint8_t *grown = realloc(buf, size + n);
        if (!grown) {
            free(buf);
            fclose(f);
            return NULL;
        }
        buf = grown;
        memcpy(buf + size, chunk, n);
        size += n;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    /* An empty file still needs a non-NULL pointer. */
    if (!buf)
        buf = malloc(1);
    *size_out = size;
    return buf;
}

static int
run_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_file(path, &size);

    if (!data) {
        fprintf(stderr, "replay: failed to read %s: %s\n", path, strerror(errno));
        return -1;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static bool
is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Run every regular file of dir in name order; returns the count or -1. */
static long
run_dir(const char *dir)
{
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, NULL, alphasort);
    long count = 0;

    if (n < 0) {
        fprintf(stderr, "replay: failed to list %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        int len = snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
        if (count >= 0 && len > 0 && (size_t)len < sizeof path && is_regular(path))
            count = run_file(path) == 0 ? count + 1 : -1;
        free(entries[i]);
    }
    free(entries);
    return count;
}

int
main(int argc, char **argv)
{
    long total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: failed to read %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        long n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no input files found; give a corpus directory or files\n");
        return 1;
    }
    printf("replay: %ld inputs ran without a failure\n", total);
    return 0;
}
