/*
 * rec.h - the SQLite event recorder.
 *
 * One database per run.  The run table contains the run's status and the
 * param table every parameter.  The event tables contain one row per
 * packet event and per mobility event.  docs/database.md documents the
 * schema for people who query it.
 *
 * The recording functions queue their rows, and a writer thread inserts
 * them in order through prepared statements inside transactions that
 * commit every REC_BATCH_ROWS rows.  A run that is killed loses the rows
 * not yet committed: at most REC_QUEUE_ROWS queued rows and one batch.
 * It leaves a readable database whose run row still has status "running"
 * (readers treat that as incomplete).  Only one thread at a time may call
 * the functions below for one struct rec.
 *
 * A NULL struct rec is valid everywhere and records nothing, so model code
 * calls the recorder without checking whether recording is on.
 */
#ifndef MIP6SEC_REC_H
#define MIP6SEC_REC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rec;

/* Rows per transaction. */
#define REC_BATCH_ROWS 10000

/*
 * Rows queued for the writer thread at most; a recording call waits while
 * the queue is full.  A multiple of 2048, the rows handed over at a time.
 */
#define REC_QUEUE_ROWS 16384

/* Packet event kinds; the values are stored in the database. */
enum rec_kind {
    REC_SEND = 1,        /* a node's IPv6 layer sends a packet it originated */
    REC_RECEIVE = 2,     /* a packet arrives at an interface */
    REC_FORWARD = 3,     /* a router forwards a packet */
    REC_DELIVER = 4,     /* a packet is handed to a local upper layer */
    REC_DROP = 5,        /* a packet is discarded; drop reason set */
    REC_TX = 6,          /* a packet leaves an interface */
    REC_ENCAP = 7,       /* the model put the packet into an IPv6-in-IPv6 tunnel */
    REC_DECAP = 8,       /* the model took the packet out of a tunnel */
    REC_ESP_PROTECT = 9, /* ESP applied on output */
    REC_ESP_VERIFY = 10, /* ESP integrity check passed and payload decrypted */
};

/* Reasons for dropping a packet; the values are stored in the database. */
enum rec_drop {
    REC_DROP_NONE = 0,
    /* Reasons reported by ns-3's Ipv6L3Protocol (its DropReason + 100). */
    REC_DROP_NS3_TTL_EXPIRED = 101,
    REC_DROP_NS3_NO_ROUTE = 102,
    REC_DROP_NS3_INTERFACE_DOWN = 103,
    REC_DROP_NS3_ROUTE_ERROR = 104,
    REC_DROP_NS3_UNKNOWN_PROTOCOL = 105,
    REC_DROP_NS3_UNKNOWN_OPTION = 106,
    REC_DROP_NS3_MALFORMED = 107,
    REC_DROP_NS3_FRAGMENT_TIMEOUT = 108,
    /*
     * Packets that ns-3's NdiscCache discards without a trace.  The shim
     * infers them from the cache state when IPv6 hands a packet down.
     */
    REC_DROP_NS3_ND_QUEUE_FULL = 120, /* address resolution queue full, oldest replaced */
    REC_DROP_NS3_ND_FAILED = 121,     /* address resolution of the next hop failed */
    /* Reasons the mip6sec model drops a packet. */
    REC_DROP_MALFORMED = 1,          /* a header failed to parse */
    REC_DROP_ESP_NO_SA = 2,          /* no inbound SA with that SPI */
    REC_DROP_ESP_ICV = 3,            /* ESP integrity check failed */
    REC_DROP_ESP_PADDING = 4,        /* ESP padding or trailer invalid after decryption */
    REC_DROP_POLICY = 5,             /* selectors of the SA or SPD entry do not match */
    REC_DROP_CLEAR_TEXT = 6,         /* a packet that policy requires protected came in clear */
    REC_DROP_MH_CHECKSUM = 7,        /* Mobility Header checksum wrong */
    REC_DROP_MH_INVALID = 8,         /* Mobility Header fields violate RFC 6275 */
    REC_DROP_NO_BINDING = 9,         /* no binding for the home address */
    REC_DROP_TUNNEL_SOURCE = 10,     /* tunnel packet from an unexpected outer source */
    REC_DROP_BA_UNEXPECTED = 11,     /* BA matches no outstanding BU */
    REC_DROP_RH2_INVALID = 12,       /* type 2 routing header checks failed */
    REC_DROP_HAO_INVALID = 13,       /* Home Address option checks failed */
    REC_DROP_SEND_FAILED = 14,       /* the simulator could not send (no route) */
    REC_DROP_SEQ_OUT_OF_WINDOW = 15, /* BU sequence number not newer than the binding's */
    REC_DROP_NOT_TUNNELLED = 16, /* routed into the tunnel but not eligible (RFC 6275 §10.4.1) */
    REC_DROP_NOT_AWAY = 17,      /* tunnel packet while the mobile node has no care-of address */
    REC_DROP_RR_NONCE_EXPIRED = 18, /* BU nonce index no longer valid (BA status 136-138) */
    REC_DROP_RR_AUTH_FAILED = 19,   /* BU authenticator wrong (RFC 6275 §9.5.1) */
    REC_DROP_CRYPTO_FAILED = 20,    /* OpenSSL failed to compute a token or authenticator */
    /* Outer header does not fit the tunnel-mode SA: the SA has no outer
     * addresses, the destination is not the SA's, or a Home Address option
     * or type 2 routing header is present (RFC 3776 §3.2). */
    REC_DROP_ESP_TUNNEL_OUTER = 21,
    REC_DROP_ESP_NEXT_HEADER = 22, /* ESP payload under a tunnel-mode SA is not IPv6 (41) */
    /* MPA from another source, without a type 2 routing header, or with an
     * Identifier that matches no outstanding MPS (RFC 6275 §11.4.3). */
    REC_DROP_MPA_UNEXPECTED = 23,
    /* RFC 4303 §3.4.3 anti-replay: the sequence number was received already,
     * or lies left of the window. */
    REC_DROP_ESP_REPLAY = 24,
    REC_DROP_ESP_REPLAY_OLD = 25,
    REC_DROP_ESP_NO_OUTBOUND_SA = 26, /* policy requires ESP but key management has no SA yet */
    REC_DROP_ESP_SEQ_EXHAUSTED = 27,  /* the SA sent its last sequence number (RFC 4303 §3.3.3) */
    REC_DROP_ESP_SA_EXPIRED = 28,     /* the SA reached a hard lifetime */
    REC_DROP_IKE_MALFORMED = 29,      /* an IKE message failed to parse */
    REC_DROP_IKE_ICV = 30,            /* integrity check of an IKE Encrypted payload failed */
    REC_DROP_IKE_NO_SA = 31,          /* the IKE SPIs match no IKE SA */
    REC_DROP_IKE_UNEXPECTED = 32,     /* message id or exchange not expected in this state */
    REC_DROP_IKE_AUTH_FAILED = 33,    /* unknown identity or wrong AUTH value */
    /* The authenticated identity may not create SAs for the home address in
     * the traffic selectors (RFC 3776 §4.2, RFC 4877 §4.4). */
    REC_DROP_IKE_UNAUTHORIZED = 34,
    REC_DROP_IKE_NO_PROPOSAL = 35, /* no acceptable proposal or exchange mode */
    /* A Neighbor Advertisement for the mobile node's home address while it
     * de-registers from home: the home agent's proxy still defends the
     * address (RFC 6275 §11.5.5), and the simulator's duplicate address
     * detection must not take it for a duplicate. */
    REC_DROP_HOME_ADDRESS_DEFENDED = 36,
};

/* Mobility and signalling events. */
enum rec_mob {
    REC_MOB_LINK_DOWN = 1,       /* layer-2 link lost */
    REC_MOB_LINK_UP = 2,         /* layer-2 link attached to a new access network */
    REC_MOB_MOVEMENT = 3,        /* movement detected: router advertisement with a new prefix */
    REC_MOB_COA_READY = 4,       /* care-of address usable (duplicate address detection done) */
    REC_MOB_BU_SENT = 5,         /* value = BU sequence number */
    REC_MOB_BA_RECEIVED = 6,     /* value = status, value2 = sequence number */
    REC_MOB_BU_RECEIVED = 7,     /* at the home agent; value = sequence number */
    REC_MOB_BA_SENT = 8,         /* at the home agent; value = status, value2 = sequence */
    REC_MOB_BINDING_ADD = 9,     /* home agent created a binding cache entry */
    REC_MOB_BINDING_UPDATE = 10, /* home agent changed the care-of address of an entry */
    REC_MOB_BINDING_DELETE = 11, /* binding deleted or expired */
    REC_MOB_RETURNED_HOME = 12,  /* mobile node is back on its home link */
    REC_MOB_BU_TIMEOUT = 13,     /* no BA in time; value = next timeout in ms */
    REC_MOB_REGISTERED = 14,     /* home registration complete at the mobile node */
    /* At a correspondent node (model/cn.c). */
    REC_MOB_HOTI_RECEIVED = 15,     /* address = home address */
    REC_MOB_HOT_SENT = 16,          /* address = home address, value = home nonce index */
    REC_MOB_COTI_RECEIVED = 17,     /* address = care-of address */
    REC_MOB_COT_SENT = 18,          /* address = care-of address, value = care-of nonce index */
    REC_MOB_CN_BU_RECEIVED = 19,    /* value = sequence number, value2 = lifetime (4 s units) */
    REC_MOB_CN_BA_SENT = 20,        /* value = status, value2 = sequence number */
    REC_MOB_CN_BINDING_ADD = 21,    /* care-of address; value = sequence, value2 = lifetime s */
    REC_MOB_CN_BINDING_UPDATE = 22, /* care-of address; value = sequence, value2 = lifetime s */
    REC_MOB_CN_BINDING_DELETE = 23, /* address = home address, value2 = 1 when it expired */
    REC_MOB_BRR_SENT = 24,          /* Binding Refresh Request; address = home address */
    REC_MOB_BE_SENT = 25,           /* Binding Error; value = status */
    /* At a mobile node doing route optimization (model/mn_ro.c); address =
     * the correspondent. */
    REC_MOB_HOTI_SENT = 26,      /* value = Home Init Cookie's low 32 bits */
    REC_MOB_COTI_SENT = 27,      /* value = Care-of Init Cookie's low 32 bits */
    REC_MOB_HOT_RECEIVED = 28,   /* value = home nonce index */
    REC_MOB_COT_RECEIVED = 29,   /* value = care-of nonce index */
    REC_MOB_CN_BU_SENT = 30,     /* value = sequence number, value2 = lifetime (4 s units) */
    REC_MOB_CN_BA_RECEIVED = 31, /* value = status, value2 = sequence number */
    /* Mobile prefix discovery (model/mpd.c); value = the ICMPv6 Identifier. */
    REC_MOB_MPS_SENT = 32,     /* mobile node; address = care-of address, value2 = attempt */
    REC_MOB_MPA_RECEIVED = 33, /* mobile node accepted an MPA; value2 = 1 when unsolicited */
    REC_MOB_MPA_SENT = 34,     /* home agent; address = care-of address, value2 as above */
    REC_MOB_MPS_RECEIVED = 35, /* home agent; address = home address */
    /* Key management (model/ike.c); address = the peer. */
    REC_MOB_IKE_REQUEST_SENT = 36,      /* value = exchange type, value2 = message id */
    REC_MOB_IKE_REQUEST_RECEIVED = 37,  /* value = exchange type, value2 = message id */
    REC_MOB_IKE_RESPONSE_SENT = 38,     /* value = exchange type, value2 = message id */
    REC_MOB_IKE_RESPONSE_RECEIVED = 39, /* value = exchange type, value2 = message id */
    REC_MOB_IKE_RETRANSMIT = 40,        /* value = exchange type, value2 = attempt */
    REC_MOB_IKE_SA_UP = 41,             /* value = IKE version, value2 = setup time in ns */
    REC_MOB_IKE_SA_DOWN = 42,           /* value = IKE version */
    /* value = the Notify type, or 0 when the last retransmission went
     * unanswered; value2 = the exchange type. */
    REC_MOB_IKE_FAILED = 43,
    REC_MOB_IKE_SA_MOVED = 44, /* address = the new care-of address, value = IKE version */
    REC_MOB_REKEY_START = 45,  /* value = inbound SPI of the old pair, value2 = kind */
    REC_MOB_REKEY_DONE = 46,   /* value = old inbound SPI, value2 = new inbound SPI */
    /* The IKE SA was rekeyed (RFC 7296 §2.18); value = the low 32 bits of
     * the old SPIi, value2 = those of the new one. */
    REC_MOB_IKE_SA_REKEYED = 47,
    /* A WiFi station's layer-2 events (scenarios with WiFi access); address =
     * the access router's address on that link, or NULL when unknown, and
     * value = the access point's BSSID as a 48-bit number, first octet
     * most significant. */
    REC_MOB_WIFI_ASSOC = 48,    /* value2 = the access point's node id, -1 when unknown */
    REC_MOB_WIFI_DISASSOC = 49, /* beacons missed; value2 = last beacon's time in ns, or -1 */
    /* The mobile node sent a Router Solicitation after a link up
     * (model/mn_rs.c); value = time since the link up in ns, value2 = 1
     * for the first solicitation, 2 and 3 for the repeats. */
    REC_MOB_RS_SENT = 50,
    /* The home agent's duplicate address detection for the home address of
     * a first registration (RFC 6275 §10.3.1, model/ha.c); address = the
     * home address. */
    REC_MOB_HOME_DAD_START = 51, /* value = BU sequence number, value2 = wait in ms */
    /* value = enum mip6_home_dad_result (0 unique, 1 duplicate, 2
     * abandoned), value2 = sequence number of the BU it answers */
    REC_MOB_HOME_DAD_DONE = 52,
    /* Optimistic DAD (RFC 4429) of a mobile node's care-of address; address
     * = the care-of address.  The node uses the address from
     * coa_optimistic on, while the stack's DAD still runs. */
    REC_MOB_COA_OPTIMISTIC = 53, /* value2 = DAD time left in ms */
    /* That DAD ended: value = enum mip6_coa_dad_result (0 unique, 1
     * duplicate, 2 unfinished), value2 = the address state the stack
     * reported (enum sim_addr_state).  With 1 or 2 the node stopped using
     * the address. */
    REC_MOB_COA_DAD_DONE = 54,
    /* A router's daemon (model/radvd.c) got a Router Solicitation; address =
     * its source, value = ns until the advertisement that responds to it,
     * value2 = 1 when an advertisement already due sooner is the response. */
    REC_MOB_RA_SOLICITED = 55,
    /* The mobile node heard no advertisement from its default router for
     * ra_loss_intervals Advertisement Intervals (model/mn_nud.c); address =
     * the router, value = ns since its last advertisement, value2 = the
     * advertised interval in ms. */
    REC_MOB_RA_LOST = 56,
    /* Neighbor Unreachability Detection of that router ended; address = the
     * router, value = 0 reachable (a solicited Neighbor Advertisement), 1
     * unreachable (no answer to 3 probes), 2 abandoned (an advertisement
     * arrived), value2 = probes sent. */
    REC_MOB_ROUTER_NUD = 57,
    /* The mobile node holds back HoTI, CoTI or BU to a correspondent for the
     * rate limit of RFC 6275 §11.8; address = the correspondent, value = the
     * wait in ms. */
    REC_MOB_RATE_LIMITED = 58,
};

/* Events in the life of an SA, for the sa_event table. */
enum rec_sa_event {
    REC_SA_INSTALL = 1,  /* added to the SAD */
    REC_SA_OUTBOUND = 2, /* outbound traffic of its SPD entry now uses it */
    /* A limit of the pair was reached; the row names the pair's outbound
     * SA.  At a soft limit the mobile node rekeys the pair; at a hard one
     * the pair is removed. */
    REC_SA_SOFT_EXPIRE = 3,
    REC_SA_HARD_EXPIRE = 4,
    REC_SA_DELETE = 5, /* removed after a rekey, a Delete or the end of its IKE SA */
};

/* The SA an sa_event row describes. */
struct rec_sa_info {
    uint32_t spi;
    int inbound;         /* 1 for an inbound SA */
    const char *name;    /* "SA1", or the traffic of a negotiated SA: "bu", "mpd", "rr", ... */
    const char *keying;  /* "ikev2" or "ikev1"; manually keyed SAs are not recorded */
    const uint8_t *peer; /* the other end's address, or NULL */
    uint64_t packets;
    uint64_t bytes;
};

enum rec_status {
    REC_RUNNING = 0,     /* written at start; a run that never finished keeps it */
    REC_COMPLETE = 1,    /* the run reached its end */
    REC_INTERRUPTED = 2, /* the run was stopped by a signal */
    REC_FAILED = 3,      /* the run stopped on an error */
};

/*
 * Create the database file at path (an existing file is replaced) and
 * write the schema.  Returns NULL and a message in err on failure.
 */
struct rec *rec_open(const char *path, char *err, size_t err_len);

/* Store one run parameter as text; call before rec_begin. */
void rec_param(struct rec *r, const char *name, const char *value);

/* Insert the run row with status "running" and commit it. */
void rec_begin(struct rec *r, uint64_t seed, uint64_t run, const char *ns3_version,
               const char *project_version);

/* Name a node ("mn", "ha", "cn", "ar1", ...) for the nodes table. */
void rec_node(struct rec *r, uint32_t node, const char *name);

/*
 * Record a packet event.  pkt contains the first caplen bytes of the packet,
 * starting with its IPv6 header; wire_len is the whole packet's length.
 * The recorder parses addresses, protocol chain, Mobility Header type,
 * ESP SPI and sequence and the UDP payload's first 32-bit word (the
 * sequence number of ns-3's SeqTsHeader) from those bytes.  parent_uid
 * links an outer packet to the inner one (encap/decap), else 0.
 */
void rec_packet(struct rec *r, uint64_t time_ns, uint32_t node, uint32_t ifindex,
                enum rec_kind kind, const uint8_t *pkt, size_t caplen, size_t wire_len,
                uint64_t uid, uint64_t parent_uid, enum rec_drop drop);

/* Record a mobility event; addr may be NULL. */
void rec_mobility(struct rec *r, uint64_t time_ns, uint32_t node, uint32_t ifindex,
                  enum rec_mob kind, const uint8_t *addr, int64_t value, int64_t value2);

/* Record an event of an SA. */
void rec_sa(struct rec *r, uint64_t time_ns, uint32_t node, enum rec_sa_event event,
            const struct rec_sa_info *sa);

/*
 * Insert and commit every queued row, end the writer thread, set the run
 * status and wall end time, close.  Returns 0, or -1 when any SQLite error
 * happened during the run (the first ones were printed on stderr and the
 * run row's events_lost counts lost rows).
 */
int rec_close(struct rec *r, enum rec_status status);

/*
 * Insert and commit every row recorded so far, and return when the writer
 * thread has done so (used from signal handling paths).  It waits on a
 * mutex and SQLite, which are not async-signal-safe: call it from the main
 * loop after a signal handler has set a flag, not from the handler itself.
 */
void rec_flush(struct rec *r);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_REC_H */
