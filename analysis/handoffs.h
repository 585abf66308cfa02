/*
 * handoffs.h - per-handoff milestones from one run database.
 *
 * mip6sec-analysis and mip6sec-campaign share this code, so a handoff in
 * a campaign database has the same milestones, latency and loss count as
 * the single-run table shows.  For each mobile node (a node with
 * mobility events that only a mobile node records) every link_down event
 * starts a handoff, which lasts until the node's next link down.  Within
 * it the code looks up the milestones: link up, movement detected,
 * care-of address ready, the first BU after that and the BA.  The first
 * data packet is the first decap event at the mobile node whose outer
 * destination is the new care-of address and whose inner protocol is
 * UDP.  After a return home it is the first UDP delivery after link up.
 * Each handoff also gets its duplicated and reordered datagrams, its
 * return routability and IKE times and its TCP recovery time.
 * docs/database.md, "Handoff analysis", documents the schema and these
 * rules.
 *
 * Errors: every function that reads the database prints the program
 * name, the database path and the SQLite error to stderr and exits with
 * status HANDOFF_EXIT_UNUSABLE (2).
 */
#ifndef MIP6SEC_ANALYSIS_HANDOFFS_H
#define MIP6SEC_ANALYSIS_HANDOFFS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANDOFF_NONE INT64_MIN /* a time or value that was not recorded */
#define HANDOFF_EXIT_UNUSABLE 2

/* Milestones of one handoff, in nanoseconds of simulated time. */
enum milestone {
    M_DOWN,
    M_UP,
    M_MOVEMENT,
    M_COA,
    M_BU,
    M_BA,
    M_DATA,
    M_COUNT,
};

/* Human-readable milestone names, indexed by enum milestone. */
extern const char *const milestone_names[M_COUNT];

struct handoff {
    uint32_t node;
    int number;
    int64_t t[M_COUNT];
    int64_t end;    /* next link down of the node, or INT64_MAX */
    int64_t coa;    /* address id of the new care-of address, or HANDOFF_NONE */
    int64_t status; /* BA status, or HANDOFF_NONE */
    int64_t lost;   /* data packets lost, or HANDOFF_NONE */
    bool home;      /* the handoff ended on the home link */
    bool included;  /* counted in the statistics */
    char note[160];

    /* UDP datagrams delivered in the window of HANDOFF_ORDER_TAIL_NS, or HANDOFF_NONE. */
    int64_t duplicates; /* deliveries of an app_seq that was delivered before */
    int64_t reordered;  /* deliveries with an app_seq below one delivered earlier */

    /* Route optimization, times in ns, HANDOFF_NONE when not recorded. */
    int64_t tokens;  /* the later of the first HoT and CoT received after the BA */
    int64_t cn_ba;   /* the first accepting BA from a correspondent after the tokens */
    int64_t ro_data; /* the first data packet received with a type 2 routing header */

    /* Dynamic keying at the mobile node, times in ns, HANDOFF_NONE when not recorded. */
    int64_t ike_start; /* IKE_SA_INIT or aggressive mode started from the new care-of address */
    int64_t ike_up;    /* ike_sa_up of that IKE SA */
    int64_t sas_ready; /* the last child SA installed under it */
    int64_t ike_moved; /* ike_sa_moved: the IKE SA took the new care-of address (K bit) */

    /* Time from the accepting BA to TCP throughput recovery in ns, or HANDOFF_NONE. */
    int64_t tcp_recovery;
};

/* Datagram order is counted from the last UDP delivery before the link went
 * down until this long after the first data packet (or the first
 * route-optimized one when that comes later), or the next link down. */
#define HANDOFF_ORDER_TAIL_NS 1000000000LL
/* How long after the BA an IKE_SA_INIT or aggressive mode still belongs to the handoff.  With
 * the K bit off, the mobile node starts IKE from the new address when the BA arrives, after the
 * computation delay of its Diffie-Hellman work. */
#define HANDOFF_IKE_AFTER_BA_NS 1000000000LL

#define HANDOFF_TCP_WINDOW_NS 500000000LL /* default sliding window of the TCP recovery */
#define HANDOFF_TCP_FRACTION 0.9          /* default share of the rate before link down */

/* One open run database and the handoffs found in it. */
struct handoff_db {
    sqlite3 *db;
    const char *path;    /* borrowed; must outlive the struct */
    const char *program; /* prefix of error messages, e.g. "mip6sec-analysis" */
    /* The run sent no UDP stream (--traffic without udp), so no handoff
     * has a first data packet, lost count or latency. */
    bool no_udp_stream;
    bool tcp_stream;   /* the run's --traffic includes tcp */
    bool has_sa_event; /* the database has the sa_event table (schema version 2) */
    /* TCP recovery rule: the window length and the share of the rate before
     * link down; 0 selects HANDOFF_TCP_WINDOW_NS and HANDOFF_TCP_FRACTION. */
    int64_t tcp_window_ns;
    double tcp_fraction;
    struct handoff *handoffs; /* owned; freed by handoff_db_close */
    size_t count;
    size_t cap;
};

/*
 * Open the run database at h->path (h->program set, the rest zero) and
 * check its SQLite application_id.  It opens read-write when it can, so
 * SQLite can recover the WAL of a killed run.  Exits with status 2 when
 * the file is missing, cannot be opened or is not a mip6sec database.
 */
void handoff_db_open(struct handoff_db *h);

/* Build the indexes rec_close builds when a killed run left them out. */
void handoff_db_ensure_indexes(struct handoff_db *h);

/* Set h->no_udp_stream and h->tcp_stream from the run's --traffic parameter. */
void handoff_db_read_traffic(struct handoff_db *h);

/*
 * Find every handoff of every mobile node and fill h->handoffs.  Call
 * handoff_db_read_traffic first, because judging a handoff depends on it.
 * Returns the number of mobile nodes that recorded mobility events.
 */
size_t handoff_db_extract(struct handoff_db *h);

/* Close the database and free the handoffs. */
void handoff_db_close(struct handoff_db *h);

/* Prepare a statement, or exit with status 2 naming the database. */
sqlite3_stmt *handoff_db_prepare(struct handoff_db *h, const char *sql);

/* Text of an address id, or "-"; the result lives until the next call. */
const char *handoff_db_address_text(struct handoff_db *h, int64_t id);

/* Name of a node ("mn", "ha", ...), or ""; the result lives until the next call. */
const char *handoff_db_node_name(struct handoff_db *h, uint32_t node);

/* Data arrival minus link down in nanoseconds, or HANDOFF_NONE without data. */
int64_t handoff_latency(const struct handoff *h);

/*
 * The latency component that ends at milestone m (M_UP .. M_DATA) in
 * nanoseconds, or HANDOFF_NONE when m or the one before was not recorded.
 * The components split the interval from link down to the first data, so a
 * milestone after the first data (a BA that came late because the first
 * one was lost) counts as at the first data.
 */
int64_t handoff_component(const struct handoff *h, int m);

/* b - a in nanoseconds, or HANDOFF_NONE when either time is HANDOFF_NONE. */
int64_t handoff_interval(int64_t a, int64_t b);

#endif
