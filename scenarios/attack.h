/*
 * attack.h - declarations that the parts of the mip6sec-attack scenario
 * share.  attack.c reads the options and builds the network,
 * attack_send.c copies packets and sends the attack, and
 * attack_outcome.c reads the result back from the database.
 */
#ifndef MIP6SEC_ATTACK_H
#define MIP6SEC_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define PROGRAM "mip6sec-attack"

#define ATTACKER_INDEX 1 /* mn_index of the attacker's keys and SPIs */

/* UDP payload both ways.  The trace callback copies the first 256 bytes
 * of a packet, and a 64-byte payload keeps a tunnel ESP packet at 204
 * bytes, so the attacker can replay it whole. */
#define UDP_PAYLOAD 64
#define CAPTURE_MAX 256

enum attack {
    ATTACK_FOREIGN_HOA,
    ATTACK_CLEAR_BU,
    ATTACK_UNKNOWN_SPI,
    ATTACK_BAD_ICV,
    ATTACK_REPLAY_ESP,
    ATTACK_REPLAY_BU_OLD_SEQ,
    N_ATTACKS,
};

/* The --attack value of each attack, defined in attack.c. */
extern const char *const ATTACK_NAMES[N_ATTACKS];

struct params {
    const char *attack;
    const char *keying;
    const char *tunnel_esp;
    uint64_t seed;
    uint64_t run;
    double duration_s;
    double attack_at_s;
    double replay_old_at_s;
    uint64_t lifetime_s;
    double interval_ms;
    double uplink_interval_ms;
    const char *output;
    bool pcap;
};

/* The options, which attack.c sets before the simulation starts. */
extern struct params P;

/* A packet copied whole from a trace event. */
struct capture {
    bool have;
    uint8_t pkt[CAPTURE_MAX];
    size_t len;
    uint32_t esp_seq;
};

/* The nodes, addresses and captures that the attacks use. */
struct world {
    enum attack attack;
    bool ikev2;
    uint32_t victim, attacker, ha;
    uint32_t victim_if, attacker_if;
    uint8_t ha_addr[16];
    uint8_t victim_hoa[16], victim_coa[16];
    uint8_t attacker_hoa[16], attacker_coa[16];
    char attacker_sa_log[1100]; /* the attacker's negotiated keys, with --keying=ikev2 */

    /* Packets the attacker copied on the foreign link. */
    struct capture victim_first_bu, victim_last_bu;
    unsigned victim_bus;
    struct capture victim_first_tunnel;
    uint32_t victim_tunnel_spi;
    uint32_t victim_tunnel_last_seq;
    uint32_t replay_window;     /* of negotiated SAs; 0 with manual keys */
    struct capture attacker_bu; /* the attacker's own BU, for its SPI and counter */

    uint64_t attack_ns[2];
    uint64_t uids[2]; /* ns-3 uids of the attack packets sent */
    unsigned n_sent;
    bool attack_failed;
};

extern struct world W;
/* The run's recorder, open from before the simulation until main closes it. */
extern struct rec *rec;

/*
 * Record a packet event of any node, and copy the packets that the
 * attacks need from what the victim and the attacker send on
 * W.victim_if and W.attacker_if.  A callback for mip6sec_trace_node;
 * ctx is unused.
 */
void attack_observe_packet(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind,
                           const uint8_t *pkt, size_t caplen, size_t wire_len, uint64_t uid,
                           enum rec_drop drop);

/*
 * Schedule the attack at W.attack_ns[0], and replay-esp's second packet at
 * W.attack_ns[1] unless that is 0.  W must hold the nodes, addresses,
 * keying and attack times of the run.  An attack that cannot be sent
 * prints why on stderr and sets W.attack_failed.
 */
void attack_schedule(void);

/*
 * Read what the home agent did with the attack packets back from the
 * database P.output, after rec_close, and print the summary line on
 * stdout.  Returns false, after a message on stderr, when the database
 * cannot be read.
 */
bool attack_print_summary(uint64_t victim_received, uint64_t victim_sent);

#endif
