/*
 * test_addrmap.c - the address hash table against a naive array that
 * does the same operations, over many random inserts and removals.
 */
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "check.h"

#define N_KEYS 300

static uint32_t state = 12345;

static uint32_t
next_random(void)
{
    state = state * 1103515245u + 12345u;
    return state >> 8;
}

static void
make_key(uint8_t key[16], uint32_t i)
{
    /* Keys that share long prefixes, like addresses on one home link. */
    memset(key, 0, 16);
    key[0] = 0x20;
    key[1] = 0x01;
    key[14] = (uint8_t)(i >> 8);
    key[15] = (uint8_t)i;
}

static void
test_matches_naive_reference(void)
{
    struct addrmap m;
    void *naive[N_KEYS] = {0};
    static char values[N_KEYS];
    size_t count = 0;

    addrmap_init(&m);
    for (int step = 0; step < 20000; step++) {
        uint32_t i = next_random() % N_KEYS;
        uint8_t key[16];
        make_key(key, i);
        if (next_random() % 3 == 0) {
            void *removed = addrmap_remove(&m, key);
            CHECK(removed == naive[i]);
            if (naive[i])
                count--;
            naive[i] = NULL;
        } else {
            CHECK(addrmap_put(&m, key, &values[i]));
            if (!naive[i])
                count++;
            naive[i] = &values[i];
        }
        CHECK_EQ_INT(m.count, count);
    }
    for (uint32_t i = 0; i < N_KEYS; i++) {
        uint8_t key[16];
        make_key(key, i);
        CHECK(addrmap_get(&m, key) == naive[i]);
    }
    addrmap_free(&m);
}

static void
test_empty_and_spi_keys(void)
{
    struct addrmap m;
    uint8_t a[16], b[16];
    int x, y;

    addrmap_init(&m);
    addrmap_key_u32(a, 0x1000);
    addrmap_key_u32(b, 0x1001);
    CHECK(addrmap_get(&m, a) == NULL);
    CHECK(addrmap_remove(&m, a) == NULL);
    CHECK(addrmap_put(&m, a, &x));
    CHECK(addrmap_put(&m, b, &y));
    CHECK(addrmap_get(&m, a) == &x);
    CHECK(addrmap_get(&m, b) == &y);
    CHECK(addrmap_put(&m, a, &y));
    CHECK(addrmap_get(&m, a) == &y);
    CHECK_EQ_INT(m.count, 2);
    addrmap_free(&m);
}

CHECK_MAIN(TEST(test_matches_naive_reference), TEST(test_empty_and_spi_keys))
