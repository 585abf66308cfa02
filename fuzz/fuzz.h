/*
 * fuzz.h - what the fuzz targets under fuzz/ share.
 *
 * Each fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput, the libFuzzer
 * entry point.  The same file links either with libFuzzer (the
 * MIP6SEC_FUZZ build, clang only) or with fuzz/replay.c, which runs it
 * over every file of a corpus directory with any compiler.
 *
 * Targets check their oracle with FUZZ_ASSERT and not with assert(),
 * because release builds define NDEBUG.  A failed check prints the
 * condition and aborts, which libFuzzer reports as a crash and saves the
 * input.
 */
#ifndef MIP6SEC_FUZZ_H
#define MIP6SEC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "esp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, #cond);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * The fixed SAs of fuzz_esp.c.  make_corpus.c protects its ESP seeds
 * with the same SPIs and keys, so that the seeds pass the ICV check.
 */
#define FUZZ_SPI_AES_HMAC 0x1001u  /* AES-128-CBC with HMAC-SHA1-96 */
#define FUZZ_SPI_NULL_HMAC 0x1002u /* NULL encryption with HMAC-SHA1-96 */
#define FUZZ_SPI_AES_NULL 0x1003u  /* AES-128-CBC without integrity */

static const uint8_t fuzz_aes_key[ESP_AES_KEY_LEN] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
static const uint8_t fuzz_hmac_key[ESP_HMAC_SHA1_KEY_LEN] = {
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96,
    0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0, 0x01, 0x23, 0x45, 0x67,
};

/*
 * The input layout of fuzz_nd_router.c, shared with make_corpus.c, which
 * writes its seeds.  The first byte modulo FUZZ_ND_ROUTER_MODES selects
 * the mode.
 */
enum fuzz_nd_router_mode {
    FUZZ_ND_ROUTER_PARSE_RS,
    FUZZ_ND_ROUTER_ENCODE_RA,
    FUZZ_ND_ROUTER_ENCODE_RS,
    FUZZ_ND_ROUTER_MODES,
};

/* The control byte of an RA-encoding input. */
enum fuzz_ra_control {
    FUZZ_RA_HOME_AGENT = 0x01,
    FUZZ_RA_ADV_INTERVAL = 0x02,
    FUZZ_RA_HA_INFO = 0x04,
    FUZZ_RA_LINK_ADDR = 0x08,
    FUZZ_RA_SOURCE_LINK_LOCAL = 0x10, /* overwrite the first two source bytes with fe80 */
    FUZZ_RA_HA_INFO_INVALID = 0x20,   /* set ha_info_invalid, which the encoder ignores */
    FUZZ_RA_PREFIXES_VALID = 0x40,    /* clamp prefix lengths and preferred lifetimes */
};

/* The control byte of an RS-encoding input. */
enum fuzz_rs_control {
    FUZZ_RS_LINK_ADDR = 0x01,
    FUZZ_RS_SOURCE_UNSPECIFIED = 0x02, /* overwrite the source with :: */
};

/*
 * The input layout of fuzz_analysis_args.c, shared with make_corpus.c:
 * the first byte modulo FUZZ_ANALYSIS_PROGRAMS selects the program, and
 * the rest are its arguments, separated by NUL bytes.
 */
enum fuzz_analysis_program {
    FUZZ_ANALYSIS_ANALYSIS, /* mip6sec-analysis */
    FUZZ_ANALYSIS_PLOT,     /* mip6sec-plot */
    FUZZ_ANALYSIS_CAMPAIGN, /* mip6sec-campaign */
    FUZZ_ANALYSIS_PROGRAMS,
};

#endif /* MIP6SEC_FUZZ_H */
