/*
 * cursor.h - bounds-checked reading and writing of wire bytes.
 *
 * Every parser in mip6sec reads packets through a struct rd and every
 * encoder writes through a struct wr.  Errors are sticky: a read or write
 * past the end sets failed, returns zeros and moves nothing, so a parser
 * can read a whole header and check rd_ok() once before it trusts any
 * field.  All multi-byte fields are big-endian (network order).
 */
#ifndef MIP6SEC_CURSOR_H
#define MIP6SEC_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    bool failed;
};

static inline struct rd
rd_init(const uint8_t *buf, size_t len)
{
    struct rd r = {buf, len, 0, false};
    return r;
}

static inline size_t
rd_left(const struct rd *r)
{
    return r->failed ? 0 : r->len - r->pos;
}

static inline bool
rd_ok(const struct rd *r)
{
    return !r->failed;
}

/* Return a pointer to the next n bytes and step over them, or NULL. */
static inline const uint8_t *
rd_take(struct rd *r, size_t n)
{
    if (r->failed || n > r->len - r->pos) {
        r->failed = true;
        return NULL;
    }
    const uint8_t *p = r->buf + r->pos;
    r->pos += n;
    return p;
}

static inline void
rd_skip(struct rd *r, size_t n)
{
    (void)rd_take(r, n);
}

static inline uint8_t
rd_u8(struct rd *r)
{
    const uint8_t *p = rd_take(r, 1);
    return p ? p[0] : 0;
}

static inline uint16_t
rd_u16(struct rd *r)
{
    const uint8_t *p = rd_take(r, 2);
    return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static inline uint32_t
rd_u32(struct rd *r)
{
    const uint8_t *p = rd_take(r, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static inline uint64_t
rd_u64(struct rd *r)
{
    uint64_t hi = rd_u32(r);
    return hi << 32 | rd_u32(r);
}

/* Copy n bytes into out; on failure out is zero-filled. */
static inline void
rd_bytes(struct rd *r, void *out, size_t n)
{
    const uint8_t *p = rd_take(r, n);
    if (p)
        memcpy(out, p, n);
    else
        memset(out, 0, n);
}

/* A reader over the next n bytes; the parent steps over them. */
static inline struct rd
rd_sub(struct rd *r, size_t n)
{
    const uint8_t *p = rd_take(r, n);
    struct rd s = {p, p ? n : 0, 0, p == NULL};
    return s;
}

struct wr {
    uint8_t *buf;
    size_t cap;
    size_t pos;
    bool failed;
};

static inline struct wr
wr_init(uint8_t *buf, size_t cap)
{
    struct wr w = {buf, cap, 0, false};
    return w;
}

static inline bool
wr_ok(const struct wr *w)
{
    return !w->failed;
}

/* Reserve the next n bytes and return them for filling, or NULL. */
static inline uint8_t *
wr_reserve(struct wr *w, size_t n)
{
    if (w->failed || n > w->cap - w->pos) {
        w->failed = true;
        return NULL;
    }
    uint8_t *p = w->buf + w->pos;
    w->pos += n;
    return p;
}

static inline void
wr_u8(struct wr *w, uint8_t v)
{
    uint8_t *p = wr_reserve(w, 1);
    if (p)
        p[0] = v;
}

static inline void
wr_u16(struct wr *w, uint16_t v)
{
    uint8_t *p = wr_reserve(w, 2);
    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static inline void
wr_u32(struct wr *w, uint32_t v)
{
    uint8_t *p = wr_reserve(w, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static inline void
wr_u64(struct wr *w, uint64_t v)
{
    wr_u32(w, (uint32_t)(v >> 32));
    wr_u32(w, (uint32_t)v);
}

static inline void
wr_bytes(struct wr *w, const void *src, size_t n)
{
    uint8_t *p = wr_reserve(w, n);
    if (p && n)
        memcpy(p, src, n);
}

static inline void
wr_zeros(struct wr *w, size_t n)
{
    uint8_t *p = wr_reserve(w, n);
    if (p && n)
        memset(p, 0, n);
}

/* Big-endian store into an already reserved position (checksums, lengths). */
static inline void
put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint16_t
get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

#endif /* MIP6SEC_CURSOR_H */
