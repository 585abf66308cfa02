/*
 * keys_dynamic.c - set up dynamic keying between a mobile node and its
 * home agent with IKEv2 (RFC 4877) or IKEv1 (RFC 3776 §4.4 and §5.3):
 * check the configuration, create the key management of both nodes and
 * their SPD entries.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_replay.h"
#include "ha.h"
#include "ike.h"
#include "mn.h"

/* Check a configuration; returns false with a message naming the value and the fix. */
static bool
check_config(const struct mip6_ike_config *cfg, char *err, size_t err_len)
{
    if (cfg->keying != MIP6_KEYING_IKEV2 && cfg->keying != MIP6_KEYING_IKEV1) {
        snprintf(err, err_len,
                 "dynamic keying: keying %d is neither IKEv2 nor IKEv1; set keying to "
                 "MIP6_KEYING_IKEV2 or MIP6_KEYING_IKEV1, or use mip6_manual_sas for manual keys",
                 (int)cfg->keying);
        return false;
    }
    if (cfg->tunnel != MIP6_TUNNEL_ESP_NONE && cfg->tunnel != MIP6_TUNNEL_ESP_RR &&
        cfg->tunnel != MIP6_TUNNEL_ESP_ALL) {
        snprintf(err, err_len,
                 "dynamic keying: invalid tunnel protection %d; use MIP6_TUNNEL_ESP_NONE, "
                 "MIP6_TUNNEL_ESP_RR or MIP6_TUNNEL_ESP_ALL",
                 (int)cfg->tunnel);
        return false;
    }
    /* The IKEv1 code derives keys over MODP groups only (model/ikev1_crypto.h). */
    if (cfg->keying == MIP6_KEYING_IKEV1 && cfg->dh_group != IKEV2_DH_MODP_2048) {
        snprintf(err, err_len,
                 "dynamic keying: Diffie-Hellman group %u is not supported with IKEv1, which "
                 "uses MODP groups only; set dh_group to 14 (MODP-2048)",
                 cfg->dh_group);
        return false;
    }
    if (cfg->auth != MIP6_IKE_AUTH_PSK && cfg->auth != MIP6_IKE_AUTH_ED25519) {
        snprintf(err, err_len,
                 "dynamic keying: invalid IKE authentication method %d; use MIP6_IKE_AUTH_PSK "
                 "or MIP6_IKE_AUTH_ED25519",
                 (int)cfg->auth);
        return false;
    }
    if (cfg->keying == MIP6_KEYING_IKEV1 && cfg->auth != MIP6_IKE_AUTH_PSK) {
        snprintf(err, err_len,
                 "dynamic keying: IKEv1 authenticates with the shared key only (RFC 3776 "
                 "section 4.4); set auth to MIP6_IKE_AUTH_PSK or keying to MIP6_KEYING_IKEV2");
        return false;
    }
    if (cfg->dh_group != IKEV2_DH_CURVE25519 && cfg->dh_group != IKEV2_DH_MODP_2048) {
        snprintf(err, err_len,
                 "dynamic keying: Diffie-Hellman group %u is not supported; use 31 "
                 "(Curve25519) or 14 (MODP-2048)",
                 cfg->dh_group);
        return false;
    }
    size_t id_len = strnlen(cfg->identity, sizeof cfg->identity);
    if (id_len == 0 || id_len == sizeof cfg->identity) {
        snprintf(err, err_len,
                 "dynamic keying: the IKE identity is empty or not terminated; give an FQDN of "
                 "1 to %zu characters such as \"mn1.home.example\"",
                 sizeof cfg->identity - 1);
        return false;
    }
    if (cfg->psk_len == 0 || cfg->psk_len > sizeof cfg->psk) {
        snprintf(err, err_len,
                 "dynamic keying: shared key length %u is invalid; give 1 to %zu bytes",
                 cfg->psk_len, sizeof cfg->psk);
        return false;
    }
    /* RFC 4303 §3.4.3: 32 packets at least; the window is a bitmap of words. */
    if (cfg->replay_window != 0 &&
        (cfg->replay_window < ESP_REPLAY_MIN_WINDOW || cfg->replay_window > ESP_REPLAY_MAX_WINDOW ||
         cfg->replay_window % ESP_REPLAY_WORD_BITS != 0)) {
        snprintf(err, err_len,
                 "dynamic keying: replay window %u is invalid; use 0 (off) or a multiple of %d "
                 "from %d to %d packets",
                 cfg->replay_window, ESP_REPLAY_WORD_BITS, ESP_REPLAY_MIN_WINDOW,
                 ESP_REPLAY_MAX_WINDOW);
        return false;
    }
    /* The receiver infers the high half of an extended sequence number
     * from its window (RFC 4303 Appendix A). */
    if (cfg->esn && cfg->replay_window == 0) {
        snprintf(err, err_len,
                 "dynamic keying: extended sequence numbers need the anti-replay window; set a "
                 "replay window or turn ESN off");
        return false;
    }
    /* RFC 4301 §4.4.2.1: the rekey must start before the SA ends. */
    if (cfg->soft_lifetime_ns && cfg->hard_lifetime_ns &&
        cfg->soft_lifetime_ns >= cfg->hard_lifetime_ns) {
        snprintf(err, err_len,
                 "dynamic keying: soft lifetime %g s is not below hard lifetime %g s; lower the "
                 "soft one so that the rekey starts before the SA ends",
                 (double)cfg->soft_lifetime_ns / 1e9, (double)cfg->hard_lifetime_ns / 1e9);
        return false;
    }
    if (cfg->soft_bytes && cfg->hard_bytes && cfg->soft_bytes >= cfg->hard_bytes) {
        snprintf(err, err_len,
                 "dynamic keying: soft byte limit %llu is not below hard byte limit %llu; lower "
                 "the soft one so that the rekey starts before the SA ends",
                 (unsigned long long)cfg->soft_bytes, (unsigned long long)cfg->hard_bytes);
        return false;
    }
    if (cfg->retransmit_timeout_ns == 0) {
        snprintf(err, err_len,
                 "dynamic keying: the IKE retransmission timeout is 0; give a positive time");
        return false;
    }
    return true;
}

/* Settings the home agent applies to all its mobile nodes must agree. */
static bool
same_responder_settings(const struct mip6_ike_config *a, const struct mip6_ike_config *b)
{
    return a->keying == b->keying && a->tunnel == b->tunnel && a->k_bit == b->k_bit &&
           a->dh_group == b->dh_group && a->esn == b->esn && a->replay_window == b->replay_window &&
           a->hard_lifetime_ns == b->hard_lifetime_ns && a->soft_bytes == b->soft_bytes &&
           a->hard_bytes == b->hard_bytes && a->seq_margin == b->seq_margin &&
           a->dh_cost_ns == b->dh_cost_ns && a->auth_cost_ns == b->auth_cost_ns &&
           a->auth == b->auth &&
           (a->auth != MIP6_IKE_AUTH_ED25519 ||
            memcmp(a->ha_sign_key, b->ha_sign_key, sizeof a->ha_sign_key) == 0);
}

/* The home agent's binding for a home address, for new tunnel SAs. */
static const uint8_t *
bound_coa(void *ctx, const uint8_t home_address[16])
{
    const struct mip6_binding *b = mip6_ha_binding(ctx, home_address);
    return b ? b->coa : NULL;
}

int
mip6_dynamic_sas(struct mip6_mn *mn, struct mip6_ha *ha, const struct mip6_ike_config *cfg,
                 char *err, size_t err_len)
{
    const uint8_t *hoa = mn->cfg.home_address;

    if (!check_config(cfg, err, err_len))
        return -1;
    if (memcmp(mn->cfg.home_agent, ha->cfg.address, 16) != 0) {
        snprintf(err, err_len,
                 "dynamic keying: the mobile node's home agent address differs from this home "
                 "agent's address; configure the same address on both");
        return -1;
    }
    if (mn->ike) {
        snprintf(err, err_len,
                 "dynamic keying: mobile node %u already has key management; call "
                 "mip6_dynamic_sas once per mobile node",
                 mn->node.id);
        return -1;
    }
    if (ha->ike && !same_responder_settings(&ha->ike->cfg, cfg)) {
        snprintf(err, err_len,
                 "dynamic keying: the home agent already serves a mobile node with other IKE "
                 "settings; one home agent applies the same settings to all its mobile nodes");
        return -1;
    }

    bool new_ha = ha->ike == NULL;
    if (new_ha) {
        ha->ike = ike_node_new(&ha->node, true, cfg);
        if (!ha->ike)
            goto out_of_memory;
        ha->ike->ifindex = ha->cfg.home_ifindex;
        memcpy(ha->ike->home_agent, ha->cfg.address, 16);
        ha->ike->bound_coa = bound_coa;
        ha->ike->bound_ctx = ha;
        memcpy(ha->ike->sign_seed, cfg->ha_sign_key, sizeof ha->ike->sign_seed);
    }
    /* RFC 3776 §4.2, RFC 4877 §4.4: this identity may create SAs for this
     * home address and no other. */
    struct ike_peer *peer =
        ike_pad_add(ha->ike, cfg->identity, cfg->psk, cfg->psk_len, hoa, err, err_len);
    if (!peer)
        return -1;
    /* Each end knows the other's public key, as if configured out of band. */
    uint8_t ha_public[IKEV2_ED25519_KEY_LEN];
    if (cfg->auth == MIP6_IKE_AUTH_ED25519 &&
        (ikev2_ed25519_public(cfg->mn_sign_key, peer->sign_public) != IKEV2_OK ||
         ikev2_ed25519_public(cfg->ha_sign_key, ha_public) != IKEV2_OK)) {
        snprintf(err, err_len, "dynamic keying: deriving the Ed25519 public keys failed");
        return -1;
    }

    mn->ike = ike_node_new(&mn->node, false, cfg);
    if (!mn->ike)
        goto out_of_memory;
    struct ike_node *k = mn->ike;
    k->ifindex = mn->cfg.ifindex;
    memcpy(k->home_agent, ha->cfg.address, 16);
    snprintf(k->self.identity, sizeof k->self.identity, "%s", cfg->identity);
    memcpy(k->self.psk, cfg->psk, cfg->psk_len);
    k->self.psk_len = cfg->psk_len;
    memcpy(k->self.home_address, hoa, 16);
    if (cfg->auth == MIP6_IKE_AUTH_ED25519) {
        memcpy(k->sign_seed, cfg->mn_sign_key, sizeof k->sign_seed);
        memcpy(k->self.sign_public, ha_public, sizeof ha_public);
    }
    k->ready = mip6_mn_keys_ready;
    k->ready_ctx = mn;

    /* RFC 3776 §5.3: the entries come in the order BU/BA, prefix
     * discovery, return routability, payload. */
    if (ike_child_policies(k, &k->self, err, err_len) < 0 ||
        ike_child_policies(ha->ike, peer, err, err_len) < 0)
        return -1;
    /* RFC 3776 §4.2: tunnel entries are active only while the tunnel is up. */
    bool away = mn->state != MN_AT_HOME && mn->state != MN_DEREGISTERING;
    ipsec_tunnel_policies_set_active(&mn->node.ipsec, hoa, away);
    ipsec_tunnel_policies_set_active(&ha->node.ipsec, hoa, mip6_ha_binding(ha, hoa) != NULL);
    return 0;

out_of_memory:
    snprintf(err, err_len, "dynamic keying: out of memory");
    return -1;
}

/* Create an empty log file at path and keep its name in *slot. */
static int
start_log(struct mip6_mn *mn, char **slot, const char *what, const char *path, char *err,
          size_t err_len)
{
    if (!mn->ike) {
        snprintf(err, err_len,
                 "%s %s: the mobile node has manual keys; call mip6_dynamic_sas first", what, path);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f || fclose(f) != 0) {
        snprintf(err, err_len, "cannot write %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    free(*slot);
    *slot = strdup(path);
    if (!*slot) {
        snprintf(err, err_len, "%s %s: out of memory", what, path);
        return -1;
    }
    return 0;
}

int
mip6_mn_log_esp_sas(struct mip6_mn *mn, const char *path, char *err, size_t err_len)
{
    return start_log(mn, mn->ike ? &mn->ike->esp_sa_log : NULL, "ESP SA log", path, err, err_len);
}

int
mip6_mn_log_ike_keys(struct mip6_mn *mn, const char *path, char *err, size_t err_len)
{
    return start_log(mn, mn->ike ? &mn->ike->ike_key_log : NULL, "IKE key log", path, err, err_len);
}
