/*
 * rec_writer.h - the recorder's row queue and writer thread, shared by
 * model/rec.c and model/rec_writer.c only.
 *
 * The recording functions of rec.h run on the caller's thread.  They parse
 * each packet and append a fixed-size row to the chunk being filled.  A
 * full chunk goes to the writer thread, which owns the SQLite connection,
 * gives addresses their ids in the order the rows arrive and inserts the
 * rows in that order.  The queue has REC_QUEUE_CHUNKS chunks, the one being
 * filled included; when all are taken the caller waits for the writer.
 */
#ifndef MIP6SEC_REC_WRITER_H
#define MIP6SEC_REC_WRITER_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "pktinfo.h"
#include "rec.h"

/* Rows handed to the writer thread at a time. */
#define REC_CHUNK_ROWS 2048
#define REC_QUEUE_CHUNKS (REC_QUEUE_ROWS / REC_CHUNK_ROWS)

/* Errors printed in full before the rest are only counted. */
#define REC_REPORT_MAX 10

enum rec_row_type {
    ROW_PACKET,
    ROW_MOBILITY,
    ROW_SA,
    ROW_PARAM,
    ROW_NODE,
    ROW_RUN_BEGIN,
};

/* The arguments of one recording call.  Text is a heap copy that the writer frees. */
struct rec_row {
    enum rec_row_type type;
    union {
        struct {
            uint64_t time_ns;
            uint64_t uid;
            uint64_t parent_uid;
            uint64_t wire_len;
            uint32_t node;
            uint32_t ifindex;
            enum rec_kind kind;
            enum rec_drop drop;
            struct pktinfo info;
        } packet;
        struct {
            uint64_t time_ns;
            uint32_t node;
            uint32_t ifindex;
            enum rec_mob kind;
            bool has_addr;
            uint8_t addr[16];
            int64_t value;
            int64_t value2;
        } mobility;
        struct {
            uint64_t time_ns;
            uint64_t packets;
            uint64_t bytes;
            uint32_t node;
            uint32_t spi;
            enum rec_sa_event event;
            bool inbound;
            bool has_peer;
            uint8_t peer[16];
            char *name;
            char *keying;
        } sa;
        struct {
            char *name;
            char *value;
        } param;
        struct {
            uint32_t node;
            char *name;
        } node;
        struct {
            uint64_t seed;
            uint64_t run;
            char *ns3_version;
            char *project_version;
        } begin;
    } u;
};

enum rec_chunk_flag {
    CHUNK_COMMIT = 1, /* commit after the chunk's rows (rec_flush, rec_begin, rec_close) */
    CHUNK_STOP = 2,   /* the last chunk: the writer thread ends after it */
};

struct rec_chunk {
    unsigned count; /* rows used */
    unsigned flags; /* enum rec_chunk_flag bits */
    struct rec_row rows[REC_CHUNK_ROWS];
};

/* One slot of an interning table: a 128-bit key and its row id (0 = empty). */
struct rec_slot {
    uint64_t hi;
    uint64_t lo;
    int64_t id;
};

/* Open-addressing hash table with linear probing; capacity is a power of two. */
struct rec_intern {
    struct rec_slot *slots;
    size_t cap;
    size_t used;
    int64_t next_id;
};

enum rec_stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_PACKET,
    ST_MOBILITY,
    ST_ADDRESS,
    ST_CHAIN,
    ST_PARAM,
    ST_NODE_NAME,
    ST_NODE_SEEN,
    ST_RUN_BEGIN,
    ST_RUN_END,
    ST_SA,
    ST_COUNT,
};

struct rec {
    char *path;

    /*
     * Owned by the writer thread while it runs, and by rec_open and
     * rec_close before it starts and after it ends.
     */
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    bool in_txn;
    unsigned pending; /* rows inserted since BEGIN */
    struct rec_intern addrs;
    uint8_t *addr_written; /* 1 when address id i has a committed or pending row */
    size_t addr_cap;
    struct rec_intern chains;
    uint8_t *node_seen; /* 1 when node id i is in the node table */
    size_t node_cap;
    unsigned long errors;
    unsigned long rollbacks; /* transactions that SQLite rolled back after an error */
    uint64_t rows_lost;      /* rows that a failed statement or rollback discarded */

    /* The queue.  published and done count chunks and change under lock. */
    pthread_t thread;
    bool thread_started;
    bool lock_ready;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a chunk was published */
    pthread_cond_t space; /* the writer finished a chunk */
    uint64_t published;
    uint64_t done;
    struct rec_chunk *chunks; /* REC_QUEUE_CHUNKS; chunk n is chunks[n % REC_QUEUE_CHUNKS] */

    /* Owned by the caller's thread. */
    struct rec_chunk *filling;
    unsigned long copy_failures; /* rows lost because their text could not be copied */
};

/* Prepare every statement; false when SQLite fails. */
bool rec_writer_prepare(struct rec *r);

/* The writer thread: insert the rows of each published chunk until one has CHUNK_STOP. */
void *rec_writer_run(void *arg);

/* After the thread ended: build the indexes, write the run status, finalize and close. */
void rec_writer_finish(struct rec *r, const char *status, const char *wall_end);

/* Free what the writer allocated; the caller frees the struct itself. */
void rec_writer_free(struct rec *r);

/* Mix two 64-bit words into a hash. */
uint64_t rec_mix(uint64_t hi, uint64_t lo);

#endif /* MIP6SEC_REC_WRITER_H */
