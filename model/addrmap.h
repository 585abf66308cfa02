/*
 * addrmap.h - a hash table from 16-byte keys (IPv6 addresses, or SPIs
 * zero-extended) to pointers.
 *
 * Open addressing with linear probing and backward-shift deletion, so
 * lookups cost O(1) on average however many mobile nodes a home agent
 * serves.  The table grows to keep its load under 1/2.  Values are not
 * owned by the table.
 */
#ifndef MIP6SEC_ADDRMAP_H
#define MIP6SEC_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addrmap_slot {
    uint8_t key[16];
    void *value; /* NULL marks an empty slot */
};

struct addrmap {
    size_t count;
    size_t cap; /* a power of two, or 0 before the first insert */
    struct addrmap_slot *slots;
};

void addrmap_init(struct addrmap *m);
void addrmap_free(struct addrmap *m);

/* The value stored under key, or NULL. */
void *addrmap_get(const struct addrmap *m, const uint8_t key[16]);

/*
 * Store value (not NULL) under key, replacing any previous value.
 * Returns false only when memory runs out.
 */
bool addrmap_put(struct addrmap *m, const uint8_t key[16], void *value);

/* Remove key; returns the value it had, or NULL. */
void *addrmap_remove(struct addrmap *m, const uint8_t key[16]);

/* A 16-byte key from a 32-bit number (SPI lookups). */
void addrmap_key_u32(uint8_t key[16], uint32_t v);

#endif /* MIP6SEC_ADDRMAP_H */
