/*
 * fuzz_signal.c - the receive path of the home agent and mobile node
 * models, from the ingress hook through IPsec, the Mobility Header
 * decoder, the binding cache and the tunnels.
 *
 * Every input gets a fresh world (world.h) and frees it afterwards,
 * because the simulator's state is global and cannot be copied.
 *
 * Input: one control byte, then the body.
 *   bits 0-1  form of the body:
 *             0  a whole IPv6 packet (at least its 40-byte header), given
 *                to the home agent and then to the mobile node as it is;
 *             1  a message from the mobile node to the home agent: byte 1
 *                is the Next Header inside ESP, the rest the message;
 *             2  the same from the home agent to the mobile node;
 *             3  an IPv6 packet that arrives tunnelled, from the care-of
 *                address at the home agent and from the home agent at
 *                the mobile node.
 *   bits 2-3  enum world_stage the mobile node is in before the input.
 *   bit 4     (forms 1, 2) keep the Mobility Header checksum as given;
 *             otherwise it is recomputed over the home addresses.
 *   bit 5     (forms 1, 2) home form: no Home Address option or type 2
 *             routing header, the home address is on the wire.
 *   bit 6     (forms 1, 2) send in clear instead of inside ESP.
 *   bit 7     (forms 1, 2) use the correspondent's address where the
 *             mobile node's home address would be, an address without SA.
 * Forms 1 and 2 are protected with the world's own SAs, so the fuzzer
 * reaches what only a holder of the keys can send.  ESP sequence numbers
 * are not checked (manual keys, RFC 3776 §4.4), so the harness always
 * uses 1.
 *
 * After the input the simulator runs for 5 simulated seconds.
 *
 * The raw form also reaches the correspondent, which runs the route
 * optimization model.
 *
 * Oracle: no crash, no leak, no sanitizer report.  The home agent never
 * holds a binding for another address than the mobile node's home
 * address, because only that address has an SA (RFC 3776 §4.2), and a
 * binding's care-of address is unicast routable and not the home address.
 * The correspondent binds only the home address, to a routable address.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "mh.h"
#include "testsim.h"
#include "world.h"

#define NS_PER_S 1000000000ull

enum form {
    FORM_RAW = 0,
    FORM_TO_HOME_AGENT = 1,
    FORM_TO_MOBILE_NODE = 2,
    FORM_TUNNELLED = 3,
};

#define CONTROL_FORM_MASK 0x03
#define CONTROL_STAGE_SHIFT 2
#define CONTROL_STAGE_MASK 0x03
#define CONTROL_KEEP_CHECKSUM 0x10
#define CONTROL_HOME_FORM 0x20
#define CONTROL_CLEAR 0x40
#define CONTROL_OTHER_HOME 0x80

/* Maximum body length the harness wraps; the models take up to MIP6_MAX_PACKET bytes. */
#define BODY_MAX 4096
#define WRAP_OVERHEAD 128 /* IPv6 header, one 24-byte extension header, ESP */

/* A signalling message's addresses: in home form and on the wire. */
struct addressing {
    const uint8_t *home_src;
    const uint8_t *home_dst;
    const uint8_t *wire_src;
    const uint8_t *wire_dst;
    bool hao; /* Home Address option with home_src */
    bool rh2; /* type 2 routing header with home_dst */
};

static struct addressing
addressing_for(const struct world *w, uint8_t control)
{
    struct addressing a = {0};
    bool home_form = control & CONTROL_HOME_FORM;
    const uint8_t *home = control & CONTROL_OTHER_HOME ? w->cn_addr : w->hoa;

    if ((control & CONTROL_FORM_MASK) == FORM_TO_HOME_AGENT) {
        a.home_src = home;
        a.home_dst = w->ha_addr;
        a.wire_src = home_form ? home : w->coa;
        a.wire_dst = w->ha_addr;
        a.hao = !home_form;
    } else {
        a.home_src = w->ha_addr;
        a.home_dst = home;
        a.wire_src = w->ha_addr;
        a.wire_dst = home_form ? home : w->coa;
        a.rh2 = !home_form;
    }
    return a;
}

/* The ESP SA a world's node uses to send in that direction. */
static void
init_sender_sa(struct esp_sa *sa, const struct mip6_keys *k, bool to_home_agent)
{
    enum esp_status st =
        to_home_agent
            ? esp_sa_init(sa, k->spi_mn_to_ha, k->enc, k->enc_key_mn_to_ha, ESP_AES_KEY_LEN,
                          k->auth, k->auth_key_mn_to_ha, ESP_HMAC_SHA1_KEY_LEN)
            : esp_sa_init(sa, k->spi_ha_to_mn, k->enc, k->enc_key_ha_to_mn, ESP_AES_KEY_LEN,
                          k->auth, k->auth_key_ha_to_mn, ESP_HMAC_SHA1_KEY_LEN);
    FUZZ_ASSERT(st == ESP_OK);
}

/* Recompute the Mobility Header checksum of msg when its Header Len fits. */
static void
fix_checksum(uint8_t *msg, size_t len, const struct addressing *a)
{
    if (len < 8 || ((size_t)msg[1] + 1) * 8 > len)
        return;
    size_t msg_len = ((size_t)msg[1] + 1) * 8;
    put_u16(msg + 4, 0);
    put_u16(msg + 4, ip6_checksum(a->home_src, a->home_dst, IP6_NH_MOBILITY, msg, msg_len));
}

/*
 * Write the packet of forms 1 and 2 into out: IPv6 header, Home Address
 * option or type 2 routing header, then msg inside ESP or in clear.
 */
static void
wrap_signal(struct wr *out, const struct world *w, uint8_t control, uint8_t next_header,
            const uint8_t *msg, size_t msg_len)
{
    static struct esp_sa to_ha_sa, to_mn_sa;
    static bool ready;
    if (!ready) {
        init_sender_sa(&to_ha_sa, &w->keys, true);
        init_sender_sa(&to_mn_sa, &w->keys, false);
        ready = true;
    }

    bool to_home_agent = (control & CONTROL_FORM_MASK) == FORM_TO_HOME_AGENT;
    bool clear = control & CONTROL_CLEAR;
    struct addressing a = addressing_for(w, control);
    struct esp_sa *sa = to_home_agent ? &to_ha_sa : &to_mn_sa;
    uint8_t after_ext = clear ? next_header : IP6_NH_ESP;

    uint8_t *fixed = malloc(msg_len ? msg_len : 1);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, msg, msg_len);
    if (!(control & CONTROL_KEEP_CHECKSUM))
        fix_checksum(fixed, msg_len, &a);

    size_t ext_len = 0;
    struct ip6_header h = {.next_header = after_ext, .hop_limit = 64};
    if (a.hao) {
        ext_len = IP6_DO_HAO_LEN;
        h.next_header = IP6_NH_DEST_OPTS;
    } else if (a.rh2) {
        ext_len = IP6_RH2_LEN;
        h.next_header = IP6_NH_ROUTING;
    }
    size_t body_len = clear ? msg_len : msg_len + esp_overhead(sa->enc, sa->auth, msg_len);
    h.payload_len = ext_len + body_len;
    memcpy(h.src, a.wire_src, 16);
    memcpy(h.dst, a.wire_dst, 16);
    FUZZ_ASSERT(ip6_write_header(out, &h) == IP6_OK);
    if (a.hao)
        ip6_write_dest_opts_hao(out, after_ext, a.home_src);
    if (a.rh2)
        ip6_write_rh2(out, after_ext, a.home_dst);

    if (clear) {
        wr_bytes(out, fixed, msg_len);
    } else {
        sa->seq = 0;
        FUZZ_ASSERT(esp_protect(sa, next_header, fixed, msg_len, out) == ESP_OK);
    }
    FUZZ_ASSERT(wr_ok(out));
    free(fixed);
}

/* Write an outer IPv6 header from src to dst and the inner packet after it. */
static void
wrap_tunnel(struct wr *w, const uint8_t *src, const uint8_t *dst, const uint8_t *inner,
            size_t inner_len)
{
    struct ip6_header h = {.payload_len = inner_len, .next_header = IP6_NH_IPV6, .hop_limit = 64};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    FUZZ_ASSERT(ip6_write_header(w, &h) == IP6_OK);
    wr_bytes(w, inner, inner_len);
    FUZZ_ASSERT(wr_ok(w));
}

/* Build the packet or packets the input stands for and hand them to the nodes. */
static void
deliver(const struct world *w, uint8_t control, const uint8_t *body, size_t len)
{
    static uint8_t pkt[BODY_MAX + WRAP_OVERHEAD];
    struct wr out = wr_init(pkt, sizeof pkt);
    bool away = w->mn->state != MN_AT_HOME;
    bool to_home_agent;

    switch (control & CONTROL_FORM_MASK) {
    case FORM_RAW:
        /* testsim_inject takes whole IPv6 packets only: its stack reads
         * the destination address without checking the length. */
        if (len < IP6_HEADER_LEN)
            return;
        testsim_inject(w->ha_node, 0, body, len);
        testsim_inject(w->mn_node, 0, body, len);
        testsim_inject(w->cn_node, 0, body, len);
        break;
    case FORM_TO_HOME_AGENT:
    case FORM_TO_MOBILE_NODE:
        if (len < 1)
            return;
        wrap_signal(&out, w, control, body[0], body + 1, len - 1);
        to_home_agent = (control & CONTROL_FORM_MASK) == FORM_TO_HOME_AGENT;
        testsim_inject(to_home_agent ? w->ha_node : w->mn_node, 0, pkt, out.pos);
        break;
    case FORM_TUNNELLED:
        wrap_tunnel(&out, w->coa, w->ha_addr, body, len);
        testsim_inject(w->ha_node, 0, pkt, out.pos);
        out = wr_init(pkt, sizeof pkt);
        wrap_tunnel(&out, w->ha_addr, away ? w->coa : w->hoa, body, len);
        testsim_inject(w->mn_node, 0, pkt, out.pos);
        break;
    }
}

static void
check_bindings(const struct world *w)
{
    const struct addrmap *cache = &w->ha->bindings;

    FUZZ_ASSERT(cache->count <= 1);
    if (cache->count == 0)
        return;
    const struct mip6_binding *b = mip6_ha_binding(w->ha, w->hoa);
    FUZZ_ASSERT(b != NULL);
    FUZZ_ASSERT(ip6_addr_is_unicast_routable(b->coa));
    FUZZ_ASSERT(memcmp(b->coa, w->hoa, 16) != 0);

    /* The correspondent binds nothing but the mobile node's home address,
     * and only to a routable care-of address. */
    const struct addrmap *cn_cache = &w->cn->bindings;
    for (size_t i = 0; i < cn_cache->cap; i++) {
        const struct mip6_cn_binding *cb = cn_cache->slots[i].value;
        if (!cb || !cb->active)
            continue;
        FUZZ_ASSERT(memcmp(cb->hoa, w->hoa, 16) == 0);
        FUZZ_ASSERT(ip6_addr_is_unicast_routable(cb->coa));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > BODY_MAX)
        return 0;
    uint8_t control = data[0];
    enum world_stage stage = (control >> CONTROL_STAGE_SHIFT) & CONTROL_STAGE_MASK;
    struct world w;

    world_build(&w, stage);
    deliver(&w, control, data + 1, size - 1);
    testsim_run_until(sim_now_ns() + 5 * NS_PER_S);

    check_bindings(&w);
    FUZZ_ASSERT(w.mn->state <= MN_DEREGISTERING);
    world_free(&w);
    return 0;
}
