/*
 * mip6sec.h - the public C API of the mip6sec model.
 *
 * A scenario builds its topology with the ns-3 shim (shim/mip6sec-ns3.h),
 * then turns nodes into a home agent and mobile nodes with the calls
 * below, gives each mobile node its manually keyed security associations,
 * and runs the simulator.  scenarios/handoff.c is the worked example.
 *
 *   struct mip6_ha *ha = mip6_ha_install(ha_node, &ha_cfg, rec, err, sizeof err);
 *   struct mip6_mn *mn = mip6_mn_install(mn_node, &mn_cfg, rec, err, sizeof err);
 *   mip6_manual_sas(mn, ha, &keys, err, sizeof err);
 *
 * Every install function returns NULL (or a negative value) and writes a
 * message naming the bad value and the fix into err on failure.  Objects
 * live until the process ends, because the simulator keeps pointers into
 * them.
 */
#ifndef MIP6SEC_H
#define MIP6SEC_H

#include <stddef.h>
#include <stdint.h>

#include "cost.h"
#include "esp.h"
#include "radvd.h"
#include "rec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mip6_ha;
struct mip6_mn;

struct mip6_ha_config {
    uint32_t home_ifindex;   /* interface on the home link */
    uint8_t address[16];     /* the home agent's address on the home link */
    uint8_t home_prefix[16]; /* home subnet prefix */
    uint8_t home_prefix_len;
    /* Longest binding lifetime granted, in seconds (RFC 6275 §10.3.1 lets
     * the home agent grant less than the mobile node requests). */
    uint32_t max_lifetime_s;
    /* RFC 3776 §4.3: after accepting a BU the home agent expects the new
     * care-of address as the outer source of tunnel-mode ESP.  When set,
     * it drops tunnel-mode ESP from any other source (tunnel_source),
     * including packets the mobile node sends from its next care-of
     * address before that address is registered.  When clear (the
     * default), the SA's keys identify the mobile node whatever the
     * source, as RFC 6275 §10.4.5 allows. */
    bool strict_tunnel_source;
    /* RFC 6275 §10.3.1: before it accepts the first registration of a
     * home address, the home agent runs duplicate address detection for
     * that address on the home link and rejects a duplicate with BA
     * status 134.  It sends one Neighbor Solicitation and waits for the
     * node's DAD timeout (sim_dad_timeout_ns), as RFC 4862 §5.4 waits for
     * RetransTimer.  The BA of every first registration comes that much
     * later, which adds 1 s to the first handoff of the default scenario.
     * Off by default to keep handoff latencies comparable with runs of
     * earlier versions, although the RFC requires it.  Refreshes and
     * moves of an existing binding never wait. */
    bool dad_home_address;
};

struct mip6_mn_config {
    uint32_t ifindex; /* the interface that moves between links */
    uint8_t home_address[16];
    uint8_t home_prefix[16];
    uint8_t home_prefix_len;
    uint8_t home_agent[16];
    uint32_t lifetime_s; /* binding lifetime requested in each BU */
    /* RFC 6275 §13: InitialBindackTimeoutFirstReg, default 1.5 s. */
    uint64_t initial_bindack_timeout_first_reg_ns;
    /* Send a Router Solicitation after each link up, after a random delay
     * of up to rs_max_delay_ms (RFC 4861 §6.3.7: MAX_RTR_SOLICITATION_DELAY
     * is 1000 ms; 0 sends at once), and again every 4 s, 3 in all, until
     * an advertisement arrives.  Off by default. */
    bool router_solicitation;
    uint32_t rs_max_delay_ms;
    /* Watch the default router through the Advertisement Interval option
     * of its advertisements (RFC 6275 §7.3): after this many intervals
     * without one, record the loss, check the router with Neighbor
     * Unreachability Detection (RFC 4861 §7.3.3) and, with
     * router_solicitation, solicit at once.  0, the default, turns it off. */
    uint32_t ra_loss_intervals;
    /* Route optimization: keep a home keygen token younger than
     * MAX_TOKEN_LIFETIME (210 s) across moves and send only a CoTI, as
     * RFC 6275 §5.2.7 allows.  Off by default: every registration runs
     * both tests. */
    bool reuse_home_token;
    /* Optimistic duplicate address detection (RFC 4429) for each care-of
     * address: send the BU from it as soon as the stack has configured it,
     * while DAD still runs, and stop using it if DAD finds a duplicate.
     * Off by default: the BU waits until DAD has finished. */
    bool optimistic_dad;
};

/* Fill a configuration with the RFC 6275 defaults; addresses stay zero. */
void mip6_ha_config_default(struct mip6_ha_config *cfg);
void mip6_mn_config_default(struct mip6_mn_config *cfg);

/*
 * Make node a home agent: it intercepts packets for registered home
 * addresses, tunnels them to the care-of address and processes Binding
 * Updates.  The node must be the router of the home link.
 */
struct mip6_ha *mip6_ha_install(uint32_t node, const struct mip6_ha_config *cfg, struct rec *rec,
                                char *err, size_t err_len);

/*
 * Make node a mobile node that starts on its home link.  Its
 * applications use the home address wherever the node is.
 */
struct mip6_mn *mip6_mn_install(uint32_t node, const struct mip6_mn_config *cfg, struct rec *rec,
                                char *err, size_t err_len);

/*
 * Turn on route optimization (RFC 6275 §5.2, §11.6) between the mobile
 * node and a correspondent node that runs the correspondent model
 * (model/cn.h).  After every home registration the mobile node runs
 * return routability (HoTI through the home agent, CoTI direct), registers
 * with the correspondent, and then exchanges traffic with it directly.
 */
int mip6_mn_route_optimize(struct mip6_mn *mn, const uint8_t correspondent[16], char *err,
                           size_t err_len);

/*
 * Set the valid and preferred lifetimes, in seconds, that the home agent
 * advertises for its home prefix in Mobile Prefix Advertisements
 * (defaults: 2592000 and 604800, those of RFC 4861 §6.2.1; 0xffffffff
 * means infinity).  When either changes, the home agent sends an
 * unsolicited MPA to every mobile node with a binding, and retransmits
 * it until that node sends a Mobile Prefix Solicitation (RFC 6275
 * §10.6.2).
 *
 * Returns how many mobile nodes it advertised to (0 when nothing
 * changed), or -1 with a message in err when preferred_s exceeds
 * valid_s (RFC 4861 §4.6.2); the lifetimes are not changed then.
 */
int mip6_ha_set_home_prefix_lifetimes(struct mip6_ha *ha, uint32_t valid_s, uint32_t preferred_s,
                                      char *err, size_t err_len);

/*
 * Load a node's SAs and ordered SPD entries from a file in the text
 * format of docs/spd-format.md, instead of (or after) mip6_manual_sas and
 * mip6_tunnel_sas.  On error err names the file, the line, the offending
 * word and what was expected; nothing from the file is installed.
 */
int mip6_mn_load_spd(struct mip6_mn *mn, const char *path, char *err, size_t err_len);
int mip6_ha_load_spd(struct mip6_ha *ha, const char *path, char *err, size_t err_len);

/*
 * Write a node's SAs and SPD entries, in order and with their active
 * flags, in the same format, so that a configuration can be inspected,
 * edited and loaded again.  The file contains keys and is created with mode 0600.
 */
int mip6_mn_write_spd(const struct mip6_mn *mn, const char *path, char *err, size_t err_len);
int mip6_ha_write_spd(const struct mip6_ha *ha, const char *path, char *err, size_t err_len);

/*
 * Free a home agent or mobile node and its databases.  Only for after the
 * simulation has ended: pending simulator events still point at them.
 */
void mip6_ha_free(struct mip6_ha *ha);
void mip6_mn_free(struct mip6_mn *mn);

/*
 * Keys for the manually keyed SA pair that protects BU and BA between
 * one mobile node and its home agent (RFC 3776 §5.2.1: SA1 mobile node to
 * home agent, SA2 home agent to mobile node, ESP transport mode).
 */
struct mip6_keys {
    uint32_t spi_mn_to_ha; /* SA1 */
    uint32_t spi_ha_to_mn; /* SA2 */
    enum esp_enc_alg enc;
    enum esp_auth_alg auth;
    uint8_t enc_key_mn_to_ha[ESP_AES_KEY_LEN];
    uint8_t enc_key_ha_to_mn[ESP_AES_KEY_LEN];
    uint8_t auth_key_mn_to_ha[ESP_HMAC_SHA1_KEY_LEN];
    uint8_t auth_key_ha_to_mn[ESP_HMAC_SHA1_KEY_LEN];

    /* Prefix discovery (RFC 3776 §5.2.3), also ESP transport mode: SA5
     * carries Mobile Prefix Solicitations to the home agent, SA6 Mobile
     * Prefix Advertisements to the mobile node. */
    uint32_t spi_mps; /* SA5 */
    uint32_t spi_mpa; /* SA6 */
    enum esp_enc_alg prefix_enc;
    enum esp_auth_alg prefix_auth;
    uint8_t enc_key_mps[ESP_AES_KEY_LEN];
    uint8_t enc_key_mpa[ESP_AES_KEY_LEN];
    uint8_t auth_key_mps[ESP_HMAC_SHA1_KEY_LEN];
    uint8_t auth_key_mpa[ESP_HMAC_SHA1_KEY_LEN];
};

/*
 * Install SA1 and SA2, then SA5 and SA6, with their SPD entries on both
 * nodes (RFC 3776 §5.2.1, §5.2.3).  RFC 3776 §4.3 requires a non-null
 * authentication algorithm for all four, so ESP_AUTH_NULL in auth or
 * prefix_auth is rejected before anything is installed.  The SAs stay
 * when the mobile node returns home (RFC 3776 §4.2).
 */
int mip6_manual_sas(struct mip6_mn *mn, struct mip6_ha *ha, const struct mip6_keys *keys, char *err,
                    size_t err_len);

/* The traffic in the tunnel between mobile node and home agent that ESP
 * tunnel mode protects (RFC 3776 §4.1). */
enum mip6_tunnel_esp {
    MIP6_TUNNEL_ESP_NONE = 0, /* HoTI, HoT and payload in plain IPv6-in-IPv6 */
    MIP6_TUNNEL_ESP_RR = 1,   /* HoTI and HoT (RFC 3776 §5.2.2: SA3, SA4); payload plain */
    MIP6_TUNNEL_ESP_ALL = 2,  /* HoTI, HoT and payload (also §5.2.4: SA7, SA8) */
};

/* The manually keyed tunnel-mode SAs of one mobile node. */
struct mip6_tunnel_keys {
    enum mip6_tunnel_esp protect;
    /* Keys are derived from seed and mn_index as spdconf_preset_init
     * does; mn_index also picks the SPIs, so give each mobile node its own. */
    uint64_t seed;
    uint32_t mn_index;
    enum esp_enc_alg enc;   /* RFC 3776 §4.3: not ESP_ENC_NULL */
    enum esp_auth_alg auth; /* RFC 3776 §4.3: not ESP_AUTH_NULL */
};

/*
 * Install the tunnel-mode SAs and the tunnel-interface SPD entries of
 * RFC 3776 §5.2.2 (and §5.2.4 with MIP6_TUNNEL_ESP_ALL) on both nodes,
 * after the entries they already contain.  Call mip6_manual_sas first,
 * so that the BU/BA entries come first in the SPD (RFC 3776 §5.2).  The
 * entries start active only on a mobile node away from home and on a
 * home agent with a binding for it (RFC 3776 §4.2).  The SA end at the
 * mobile node starts at its care-of address, or at the home address
 * before one is known.  From then on the mobile node moves that end when
 * it sends a BU, and the home agent when it accepts one.
 *
 * Returns 0, also for MIP6_TUNNEL_ESP_NONE, which installs nothing.
 * Returns -1 with a message in err when the algorithms break RFC 3776
 * §4.3 (return routability needs non-null encryption and
 * authentication), when an SPI is already used, or when the mobile
 * node's home agent is another node; neither node is changed then.
 */
int mip6_tunnel_sas(struct mip6_mn *mn, struct mip6_ha *ha, const struct mip6_tunnel_keys *keys,
                    char *err, size_t err_len);

/* The key source of the SAs between mobile node and home agent. */
enum mip6_keying {
    MIP6_KEYING_MANUAL = 0, /* RFC 3776 §5.2: mip6_manual_sas and mip6_tunnel_sas */
    MIP6_KEYING_IKEV2 = 1,  /* RFC 4877: IKEv2 from the care-of address */
    /* RFC 3776 §4.4, §5.3: IKEv1 from the care-of address, aggressive mode
     * with a pre-shared key, then quick mode for each SA pair. */
    MIP6_KEYING_IKEV1 = 2,
};

/* IKE authentication methods (RFC 7296 §2.15, RFC 7427, RFC 8420). */
enum mip6_ike_auth {
    MIP6_IKE_AUTH_PSK = 0,     /* shared key */
    MIP6_IKE_AUTH_ED25519 = 1, /* Digital Signature with Ed25519 */
};

/* Dynamic keying of one mobile node and its home agent. */
struct mip6_ike_config {
    enum mip6_keying keying;
    enum mip6_tunnel_esp tunnel; /* tunnel traffic that gets child SAs, as with manual keys */
    /* RFC 6275 §6.1.7: set the K bit in BUs (mobile node) and BAs (home
     * agent), so that the IKE SA moves with the care-of address.  Without
     * it IKE runs again from each new care-of address. */
    bool k_bit;
    bool pfs; /* a Diffie-Hellman exchange in every CREATE_CHILD_SA or quick mode */
    /* 31 (Curve25519, the default) or 14 (MODP-2048); IKEv1 takes 14 only. */
    uint16_t dh_group;
    char identity[64]; /* the mobile node's IDi, an ID_FQDN such as "mn1.home.example" */
    /* How each end proves its identity in IKE_AUTH (IKEv2 only; IKEv1
     * always uses the shared key). */
    enum mip6_ike_auth auth;
    /* MIP6_IKE_AUTH_ED25519: the 32-byte private key seeds of the mobile
     * node and of the home agent.  Each end learns the other's public key
     * from them when mip6_dynamic_sas sets up both nodes. */
    uint8_t mn_sign_key[32];
    uint8_t ha_sign_key[32];
    uint8_t psk[64]; /* shared key for AUTH (RFC 7296 §2.15) or SKEYID (RFC 2409 §5.4) */
    uint8_t psk_len;
    /* Child SA lifetimes (RFC 4301 §4.4.2.1); 0 means no limit.  The mobile
     * node rekeys at the soft limits; either side removes an SA at a hard one. */
    uint64_t soft_lifetime_ns;
    uint64_t hard_lifetime_ns;
    uint64_t soft_bytes;
    uint64_t hard_bytes;
    /* IKEv2 only: the IKE SA's age at which the mobile node rekeys it
     * (RFC 7296 §2.18); 0 never.  Its child SAs move to the new IKE SA. */
    uint64_t ike_lifetime_ns;
    /* Rekey when this many sequence numbers are left (RFC 4303 §3.3.3). */
    uint64_t seq_margin;
    uint32_t replay_window; /* RFC 4303 §3.4.3, packets; 0 turns anti-replay off */
    bool esn;               /* 64-bit extended sequence numbers (RFC 4303 §2.2.1) */
    /* RFC 7296 §2.1 leaves the timers to the implementation: the first
     * retransmission after this long, then doubling, at most tries times. */
    uint64_t retransmit_timeout_ns;
    uint32_t retransmit_tries;
    /* Computation time charged, before the message that needs it leaves,
     * for one Diffie-Hellman key pair and shared secret, and for one AUTH
     * value or check, in ns of the machine the cost table was measured
     * on.  MIP6_IKE_COST_FROM_TABLE takes them from the node's cost table
     * (model/cost.h, mip6_cost_defaults unless set) for the group in use.
     * A node with a CPU model (mip6_node_set_cpu) scales them and queues
     * them behind its other crypto work. */
    uint64_t dh_cost_ns;
    uint64_t auth_cost_ns;
};

#define MIP6_IKE_COST_FROM_TABLE UINT64_MAX

/* Fill cfg with the defaults of mip6_ike_config's comments; keying stays manual. */
void mip6_ike_config_default(struct mip6_ike_config *cfg);

/*
 * Set up dynamic keying between a mobile node and its home agent: the SPD
 * entries of RFC 3776 §5.3 on both nodes, without SAs, the mobile node's
 * IKE identity and key, and the home agent's entry that lets that
 * identity create SAs for that home address only (RFC 3776 §4.2, RFC
 * 4877 §4.4).  The mobile node runs IKE when it first needs to send a BU
 * from a care-of address.  Use instead of mip6_manual_sas and
 * mip6_tunnel_sas.  Returns 0, or -1 with a message in err.
 */
int mip6_dynamic_sas(struct mip6_mn *mn, struct mip6_ha *ha, const struct mip6_ike_config *cfg,
                     char *err, size_t err_len);

/*
 * Give a node a CPU that does its crypto work one job at a time: each ESP
 * packet it sends or receives waits until the node has protected or
 * verified it, behind earlier work, and so does each IKE computation.
 * Costs come from costs (NULL: mip6_cost_defaults, measured by
 * bench/crypto_cost, see docs/crypto-costs.md), multiplied by slowdown,
 * e.g. 4 for a device 4 times slower than the machine they were measured
 * on.  costs must outlive the run.  Returns 0, or -1 with a message in
 * err for an invalid table or slowdown.  Without this call a node's
 * crypto takes no simulated time, apart from the IKE delays.
 */
int mip6_mn_set_cpu(struct mip6_mn *mn, const struct mip6_cost_table *costs, double slowdown,
                    char *err, size_t err_len);
int mip6_ha_set_cpu(struct mip6_ha *ha, const struct mip6_cost_table *costs, double slowdown,
                    char *err, size_t err_len);

/* The fraction of the run so far that the node's CPU was busy; 0 without a CPU model. */
double mip6_mn_cpu_utilization(const struct mip6_mn *mn);
double mip6_ha_cpu_utilization(const struct mip6_ha *ha);

/*
 * Give cfg the identity "mn<mn_index>.home.example", a 32-byte shared
 * key and an Ed25519 key seed derived from seed and mn_index, and the home
 * agent's Ed25519 key seed derived from seed alone, as mip6_keys_derive
 * does for manual keys.  NOTE: for simulation only.
 */
void mip6_ike_identity_derive(struct mip6_ike_config *cfg, uint64_t seed, uint32_t mn_index);

/*
 * With dynamic keying, append each SA the mobile node installs from now
 * on to path, in the format of mip6_export_esp_sas, so that tshark can
 * decrypt a capture across rekeys.  Call after mip6_dynamic_sas; the file
 * is created empty.  Returns 0, or -1 with a message in err.
 */
int mip6_mn_log_esp_sas(struct mip6_mn *mn, const char *path, char *err, size_t err_len);

/*
 * With dynamic keying, append the keys of each IKE SA the mobile node
 * sets up from now on to path, as records of Wireshark's
 * ikev2_decryption_table (IKEv1: ikev1_decryption_table), so that tshark
 * can decrypt the encrypted payloads of a capture.  The file is created
 * empty.  Returns 0, or -1 with a message in err.
 */
int mip6_mn_log_ike_keys(struct mip6_mn *mn, const char *path, char *err, size_t err_len);

/*
 * Derive a mip6_keys from a run seed and the mobile node's index, so that
 * every mobile node gets distinct SPIs and keys and the same seed gives
 * the same keys.  SA5 and SA6 get the SPIs and keys of spdconf_preset_init
 * (model/spdconf_preset.h) and the algorithms enc and auth.  NOTE: for
 * simulation only; real keys come from a random source or key management.
 */
void mip6_keys_derive(struct mip6_keys *keys, uint64_t seed, uint32_t mn_index,
                      enum esp_enc_alg enc, enum esp_auth_alg auth);

/*
 * Write the mobile node's SAs (both directions) to path in the format of
 * Wireshark's ESP SA table (the esp_sa file of a profile), so that tshark
 * can decrypt and verify a capture.  append != 0 adds to an existing
 * file, for several mobile nodes.
 */
int mip6_export_esp_sas(const struct mip6_mn *mn, const char *path, int append, char *err,
                        size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_H */
