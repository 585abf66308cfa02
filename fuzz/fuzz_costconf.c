/*
 * fuzz_costconf.c - the crypto cost file parser and writer.
 *
 * Input: any bytes, read as the text of a cost file.
 *
 * Oracle:
 *   - mip6_cost_parse over mip6_cost_defaults returns a known status.  An
 *     error carries the same status, a line number inside the input and a
 *     message that starts with "fuzz:LINE: ", and it leaves the table
 *     unchanged;
 *   - a text that parses gives a table that passes mip6_cost_check, and
 *     that table written by mip6_cost_format parses, into a table of
 *     zeros, back to the same values and formats to the same text;
 *   - the ESP cost of the parsed table is at least that of its parts.
 */
#include <string.h>

#include "cost.h"
#include "fuzz.h"

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
check_error(enum mip6_cost_status st, const struct mip6_cost_error *err, size_t lines)
{
    char prefix[64];

    FUZZ_ASSERT(st > MIP6_COST_OK && st <= MIP6_COST_BAD_VALUE);
    FUZZ_ASSERT(err->status == st);
    FUZZ_ASSERT(err->line >= 1 && err->line <= lines);
    snprintf(prefix, sizeof prefix, SOURCE ":%zu: ", err->line);
    FUZZ_ASSERT(strncmp(err->message, prefix, strlen(prefix)) == 0);
    FUZZ_ASSERT(strlen(err->message) > strlen(prefix));
}

static void
check_same_values(struct mip6_cost_table *a, struct mip6_cost_table *b)
{
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++)
        FUZZ_ASSERT(*mip6_cost_value(a, i) == *mip6_cost_value(b, i));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mip6_cost_table table = mip6_cost_defaults;
    struct mip6_cost_table reparsed = {0};
    struct mip6_cost_error err;

    enum mip6_cost_status st = mip6_cost_parse(&table, (const char *)data, size, SOURCE, &err);
    if (st != MIP6_COST_OK) {
        check_error(st, &err, count_lines(data, size));
        FUZZ_ASSERT(memcmp(&table, &mip6_cost_defaults, sizeof table) == 0);
        return 0;
    }
    FUZZ_ASSERT(mip6_cost_check(&table, &err) == MIP6_COST_OK);

    char *text = mip6_cost_format(&table, "fuzz input");
    FUZZ_ASSERT(text != NULL);
    FUZZ_ASSERT(mip6_cost_parse(&reparsed, text, strlen(text), SOURCE, &err) == MIP6_COST_OK);
    check_same_values(&table, &reparsed);
    char *again = mip6_cost_format(&reparsed, "fuzz input");
    FUZZ_ASSERT(again != NULL && strcmp(text, again) == 0);
    free(again);
    free(text);

    uint64_t both = mip6_cost_esp_ns(&table, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96,
                                     MIP6_COST_INBOUND, ESP_MAX_PAYLOAD_LEN);
    uint64_t aes = mip6_cost_esp_ns(&table, ESP_ENC_AES_128_CBC, ESP_AUTH_NULL, MIP6_COST_INBOUND,
                                    ESP_MAX_PAYLOAD_LEN);
    FUZZ_ASSERT(both >= aes);
    return 0;
}
