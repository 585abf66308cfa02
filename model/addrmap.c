/*
 * addrmap.c - a hash table from 16-byte keys to pointers.
 */
#include "addrmap.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the key, then a final mix so low bits depend on every byte. */
static size_t
hash_key(const uint8_t key[16])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 16; i++) {
        h ^= key[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h;
}

void
addrmap_init(struct addrmap *m)
{
    m->count = 0;
    m->cap = 0;
    m->slots = NULL;
}

void
addrmap_free(struct addrmap *m)
{
    free(m->slots);
    addrmap_init(m);
}

static struct addrmap_slot *
find_slot(const struct addrmap *m, const uint8_t key[16])
{
    if (m->cap == 0)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
        struct addrmap_slot *s = &m->slots[i];
        if (!s->value)
            return NULL;
        if (memcmp(s->key, key, 16) == 0)
            return s;
    }
}

void *
addrmap_get(const struct addrmap *m, const uint8_t key[16])
{
    struct addrmap_slot *s = find_slot(m, key);
    return s ? s->value : NULL;
}

static bool
grow(struct addrmap *m)
{
    size_t cap = m->cap ? 2 * m->cap : 16;
    struct addrmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;

    struct addrmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = slots;
    m->cap = cap;
    m->count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].value)
            addrmap_put(m, old[i].key, old[i].value);
    free(old);
    return true;
}

bool
addrmap_put(struct addrmap *m, const uint8_t key[16], void *value)
{
    struct addrmap_slot *s = find_slot(m, key);
    if (s) {
        s->value = value;
        return true;
    }
    if (2 * (m->count + 1) > m->cap && !grow(m))
        return false;

    size_t mask = m->cap - 1;
    size_t i = hash_key(key) & mask;
    while (m->slots[i].value)
        i = (i + 1) & mask;
    memcpy(m->slots[i].key, key, 16);
    m->slots[i].value = value;
    m->count++;
    return true;
}

void *
addrmap_remove(struct addrmap *m, const uint8_t key[16])
{
    struct addrmap_slot *s = find_slot(m, key);
    if (!s)
        return NULL;
    void *value = s->value;
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(s - m->slots);

    /* Backward-shift: move later members of the probe run into the hole
     * when their home slot does not lie strictly between hole and them. */
    for (size_t j = (hole + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
        size_t home = hash_key(m->slots[j].key) & mask;
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].value = NULL;
    m->count--;
    return value;
}

void
addrmap_key_u32(uint8_t key[16], uint32_t v)
{
    memset(key, 0, 16);
    key[12] = (uint8_t)(v >> 24);
    key[13] = (uint8_t)(v >> 16);
    key[14] = (uint8_t)(v >> 8);
    key[15] = (uint8_t)v;
}
