/*
 * rec_schema.c - the recorder's SQL schema and the names and descriptions
 * of every event kind, drop reason and mobility event it stores in the
 * lookup tables (see rec.h and docs/database.md).
 */
#include "rec_schema.h"

#include <stdbool.h>
#include <stdio.h>

#include "rec.h"

/*
 * Views of the analysis (mip6sec-analysis --rekeys and --overhead, docs/database.md).
 * Each macro is the text after CREATE VIEW, so mip6sec-analysis can add the same view
 * to a database that an older version wrote.
 */
/* One row per rekey_start: its rekey_done, IKE events, drops and SA overlaps. */
#define REC_VIEW_REKEYS                                                                            \
    "rekeys_v AS"                                                                                  \
    " WITH s AS ("                                                                                 \
    " SELECT m.rowid AS start_id, m.time_ns AS start_ns, m.node, m.value AS old_spi, m.value2 AS " \
    "kind,"                                                                                        \
    " (SELECT x.rowid FROM mobility_event x WHERE x.node = m.node AND x.time_ns >= m.time_ns"      \
    " AND x.kind = 46 AND x.value = m.value AND x.rowid > m.rowid ORDER BY x.time_ns, x.rowid "    \
    "LIMIT 1) AS done_id,"                                                                         \
    " (SELECT o.node FROM sa_event o WHERE o.spi = m.value AND o.direction = 'out' AND o.event = " \
    "1"                                                                                            \
    " AND o.node <> m.node LIMIT 1) AS ha"                                                         \
    " FROM mobility_event m WHERE m.kind = 45),"                                                   \
    " r AS ("                                                                                      \
    " SELECT s.*, d.time_ns AS end_ns, d.value2 AS new_spi,"                                       \
    " (SELECT min(o.time_ns) FROM sa_event o WHERE o.node = s.ha AND o.spi = s.old_spi AND "       \
    "o.direction = 'out' AND o.event = 1) AS ha_old_at,"                                           \
    " (SELECT min(o.time_ns) FROM sa_event o WHERE o.node = s.ha AND o.spi = d.value2 AND "        \
    "o.direction = 'out' AND o.event = 1) AS ha_new_at"                                            \
    " FROM s LEFT JOIN mobility_event d ON d.rowid = s.done_id),"                                  \
    " p AS ("                                                                                      \
    " SELECT r.*,"                                                                                 \
    " (SELECT i.spi FROM sa_event i WHERE i.node = r.ha AND i.time_ns = r.ha_old_at AND i.event "  \
    "= 1 AND i.direction = 'in'"                                                                   \
    " AND i.name = CASE r.kind WHEN 0 THEN 'bu' WHEN 1 THEN 'mpd' WHEN 2 THEN 'rr' WHEN 3 THEN "   \
    "'payload' END) AS ha_old_in,"                                                                 \
    " (SELECT i.spi FROM sa_event i WHERE i.node = r.ha AND i.time_ns = r.ha_new_at AND i.event "  \
    "= 1 AND i.direction = 'in'"                                                                   \
    " AND i.name = CASE r.kind WHEN 0 THEN 'bu' WHEN 1 THEN 'mpd' WHEN 2 THEN 'rr' WHEN 3 THEN "   \
    "'payload' END) AS ha_new_in"                                                                  \
    " FROM r),"                                                                                    \
    " l AS ("                                                                                      \
    " SELECT p.*,"                                                                                 \
    " (SELECT removed_ns FROM sa_lifetimes_v v WHERE v.node = p.node AND v.spi = p.old_spi AND "   \
    "v.direction = 'in') AS mn_old_removed,"                                                       \
    " (SELECT installed_ns FROM sa_lifetimes_v v WHERE v.node = p.node AND v.spi = p.new_spi AND " \
    "v.direction = 'in') AS mn_new_installed,"                                                     \
    " (SELECT removed_ns FROM sa_lifetimes_v v WHERE v.node = p.ha AND v.spi = p.ha_old_in AND "   \
    "v.direction = 'in') AS ha_old_removed,"                                                       \
    " (SELECT installed_ns FROM sa_lifetimes_v v WHERE v.node = p.ha AND v.spi = p.ha_new_in AND " \
    "v.direction = 'in') AS ha_new_installed,"                                                     \
    " (SELECT removed_ns FROM sa_lifetimes_v v WHERE v.node = p.ha AND v.spi = p.old_spi AND "     \
    "v.direction = 'out') AS ha_old_out_removed"                                                   \
    " FROM p)"                                                                                     \
    " SELECT l.node, n.name AS node_name,"                                                         \
    " ROW_NUMBER() OVER (PARTITION BY l.node ORDER BY l.start_ns, l.start_id) AS rekey,"           \
    " CASE l.kind WHEN 0 THEN 'bu' WHEN 1 THEN 'mpd' WHEN 2 THEN 'rr' WHEN 3 THEN 'payload' END "  \
    "AS kind,"                                                                                     \
    " l.ha AS peer, l.old_spi, l.new_spi, l.start_ns, l.end_ns, l.end_ns - l.start_ns AS "         \
    "duration_ns,"                                                                                 \
    " (SELECT count(*) FROM mobility_event i WHERE i.rowid > l.start_id AND i.rowid < l.done_id"   \
    " AND i.kind BETWEEN 36 AND 39"                                                                \
    " AND (i.node = l.node OR (i.node = l.ha AND i.address IN"                                     \
    " (SELECT a.address FROM mobility_event a WHERE a.node = l.node AND a.kind IN (4, 5, 12, 44, " \
    "53))))) AS ike_events,"                                                                       \
    " max(coalesce(l.end_ns, l.start_ns), coalesce(l.mn_old_removed, l.start_ns), "                \
    "coalesce(l.ha_old_out_removed, l.start_ns)) AS loss_end_ns,"                                  \
    " (SELECT count(*) FROM packet_event e WHERE e.node IN (l.node, l.ha) AND e.kind = 5"          \
    " AND e.time_ns BETWEEN l.start_ns AND max(coalesce(l.end_ns, l.start_ns), "                   \
    "coalesce(l.mn_old_removed, l.start_ns), coalesce(l.ha_old_out_removed, l.start_ns))"          \
    " AND e.drop_reason IN (2, 3, 4, 21, 22, 24, 25, 26, 27, 28)) AS esp_drops,"                   \
    " (SELECT count(*) FROM packet_event e WHERE e.node IN (l.node, l.ha) AND e.kind = 5"          \
    " AND e.time_ns BETWEEN l.start_ns AND max(coalesce(l.end_ns, l.start_ns), "                   \
    "coalesce(l.mn_old_removed, l.start_ns), coalesce(l.ha_old_out_removed, l.start_ns))) AS "     \
    "drops,"                                                                                       \
    " l.ha_old_in, l.ha_new_in,"                                                                   \
    " l.ha_old_removed - l.ha_new_installed AS ha_overlap_ns,"                                     \
    " l.mn_old_removed - l.mn_new_installed AS mn_overlap_ns,"                                     \
    " (SELECT max(k.time_ns) FROM mobility_event k WHERE k.node = l.node AND k.kind = 1"           \
    " AND k.time_ns <= coalesce(l.end_ns, l.start_ns)) AS last_link_down_ns"                       \
    " FROM l LEFT JOIN node n ON n.id = l.node"
/* Signalling messages sent by each mobile node and by its home agent for it. */
#define REC_VIEW_SIGNALLING                                                                        \
    "signalling_v AS"                                                                              \
    " WITH mn AS (SELECT DISTINCT node FROM mobility_event WHERE kind IN (1, 2, 3, 4, 5, 6, 12, "  \
    "13, 14)),"                                                                                    \
    " ha AS (SELECT DISTINCT node FROM mobility_event WHERE kind IN (7, 8)),"                      \
    " mn_addr AS (SELECT DISTINCT node AS mn, address FROM mobility_event"                         \
    " WHERE kind IN (4, 5, 12, 44, 53) AND address IS NOT NULL AND node IN (SELECT node FROM "     \
    "mn)),"                                                                                        \
    " ike_peer AS (SELECT DISTINCT node AS mn, address FROM mobility_event"                        \
    " WHERE kind BETWEEN 36 AND 44 AND address IS NOT NULL AND node IN (SELECT node FROM mn)),"    \
    " sa AS (SELECT o.node, o.spi, o.name,"                                                        \
    " CASE WHEN o.node IN (SELECT node FROM mn) THEN o.node"                                       \
    " ELSE (SELECT i.node FROM sa_event i WHERE i.spi = o.spi AND i.direction = 'in'"              \
    " AND i.event = 1 AND i.node <> o.node LIMIT 1) END AS mn"                                     \
    " FROM sa_event o WHERE o.event = 1 AND o.direction = 'out' GROUP BY o.node, o.spi),"          \
    " pk AS (SELECT e.node, e.size, e.spi, e.mh_type, e.icmp_type, e.protocol, e.dst, e.hoa, "     \
    "e.rh2,"                                                                                       \
    " e.node IN (SELECT node FROM mn) AS from_mn"                                                  \
    " FROM packet_event e WHERE e.kind = 1"                                                        \
    " AND (e.node IN (SELECT node FROM mn) OR e.node IN (SELECT node FROM ha))"                    \
    " AND (e.spi IS NOT NULL OR e.mh_type IS NOT NULL OR e.icmp_type IS NOT NULL OR e.protocol = " \
    "17)),"                                                                                        \
    " msg AS (SELECT CASE WHEN pk.from_mn THEN pk.node ELSE coalesce(s.mn, a.mn) END AS mn,"       \
    " CASE WHEN pk.from_mn THEN 'mn' ELSE 'ha' END AS sender,"                                     \
    " CASE WHEN pk.from_mn THEN"                                                                   \
    " CASE WHEN s.name = 'bu' OR pk.mh_type = 5 THEN 'BU'"                                         \
    " WHEN s.name = 'mpd' OR pk.icmp_type = 146 THEN 'MPS'"                                        \
    " WHEN s.name = 'rr' OR pk.mh_type = 1 THEN 'HoTI'"                                            \
    " WHEN pk.mh_type = 2 THEN 'CoTI'"                                                             \
    " WHEN s.name IS NULL AND pk.spi IS NOT NULL AND pk.hoa IS NOT NULL THEN 'BU or MPS'"          \
    " WHEN pk.icmp_type BETWEEN 133 AND 137 THEN 'ND'"                                             \
    " WHEN pk.protocol = 17 AND pk.dst IN (SELECT p.address FROM ike_peer p WHERE p.mn = pk.node)" \
    " THEN 'IKE' END"                                                                              \
    " ELSE"                                                                                        \
    " CASE WHEN s.name = 'bu' OR pk.mh_type = 6 THEN 'BA'"                                         \
    " WHEN s.name = 'mpd' OR pk.icmp_type = 147 THEN 'MPA'"                                        \
    " WHEN s.name = 'rr' OR pk.mh_type = 3 THEN 'HoT'"                                             \
    " WHEN s.name IS NULL AND pk.spi IS NOT NULL AND pk.rh2 IS NOT NULL THEN 'BA or MPA'"          \
    " WHEN pk.icmp_type BETWEEN 133 AND 137 AND a.mn IS NOT NULL THEN 'ND'"                        \
    " WHEN pk.protocol = 17 AND a.mn IS NOT NULL THEN 'IKE' END"                                   \
    " END AS message, pk.size"                                                                     \
    " FROM pk LEFT JOIN sa s ON s.node = pk.node AND s.spi = pk.spi"                               \
    " LEFT JOIN mn_addr a ON NOT pk.from_mn AND a.address = pk.dst),"                              \
    " run AS (SELECT coalesce((SELECT CAST(value AS REAL) FROM param WHERE name = 'duration'),"    \
    " (SELECT max(time_ns) / 1e9 FROM mobility_event)) AS seconds)"                                \
    " SELECT msg.mn AS node, n.name AS node_name, msg.sender, msg.message, count(*) AS packets,"   \
    " sum(msg.size) AS bytes, count(*) / run.seconds AS packets_per_s, sum(msg.size) / "           \
    "run.seconds AS bytes_per_s"                                                                   \
    " FROM msg CROSS JOIN run LEFT JOIN node n ON n.id = msg.mn"                                   \
    " WHERE msg.message IS NOT NULL AND msg.mn IS NOT NULL"                                        \
    " GROUP BY msg.mn, msg.sender, msg.message"
/* Bytes that the tunnel, ESP and the Mobile IPv6 headers add, per node. */
#define REC_VIEW_OVERHEAD                                                                          \
    "overhead_v AS"                                                                                \
    " SELECT e.node, n.name AS node_name,"                                                         \
    " sum(e.kind = 7) AS encap_packets,"                                                           \
    " 40 * sum(e.kind = 7 AND (e.chain & 255) = 17) AS tunnel_bytes,"                              \
    " sum(e.kind = 7 AND (e.chain & 255) <> 17) AS encap_other,"                                   \
    " sum(e.kind = 9) AS esp_packets,"                                                             \
    " sum(e.kind = 9 AND x.size IS NOT NULL) AS esp_tunnel_packets,"                               \
    " coalesce(sum(CASE WHEN e.kind = 9 THEN e.size - x.size END), 0) AS esp_tunnel_bytes,"        \
    " 38 * sum(e.kind = 9 AND x.size IS NULL) AS esp_transport_min_bytes,"                         \
    " 53 * sum(e.kind = 9 AND x.size IS NULL) AS esp_transport_max_bytes,"                         \
    " sum(e.kind = 1 AND e.hoa IS NOT NULL) AS hao_packets,"                                       \
    " 24 * sum(e.kind = 1 AND e.hoa IS NOT NULL) AS hao_bytes,"                                    \
    " sum(e.kind = 1 AND e.rh2 IS NOT NULL) AS rh2_packets,"                                       \
    " 24 * sum(e.kind = 1 AND e.rh2 IS NOT NULL) AS rh2_bytes"                                     \
    " FROM packet_event e"                                                                         \
    " LEFT JOIN packet_event x ON e.kind = 9 AND x.node = e.node AND x.kind = 7"                   \
    " AND x.time_ns = e.time_ns AND x.uid = e.uid"                                                 \
    " LEFT JOIN node n ON n.id = e.node"                                                           \
    " WHERE e.kind IN (1, 7, 9)"                                                                   \
    " GROUP BY e.node"                                                                             \
    " HAVING encap_packets + esp_packets + hao_packets + rh2_packets > 0"

const char rec_schema_sql[] =
    "CREATE TABLE run ("
    " run_id TEXT PRIMARY KEY,"
    " seed INTEGER,"
    " run_number INTEGER,"
    " ns3_version TEXT,"
    " project_version TEXT,"
    " wall_start TEXT NOT NULL,"
    " wall_end TEXT,"
    " status TEXT NOT NULL"
    "  CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),"
    " events_lost INTEGER);"
    "CREATE TABLE param (name TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE node (id INTEGER PRIMARY KEY, name TEXT);"
    "CREATE TABLE event_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE drop_reason (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE mobility_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE address (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);"
    "CREATE TABLE chain (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
    "CREATE TABLE packet_event ("
    " time_ns INTEGER NOT NULL,"
    " node INTEGER NOT NULL,"
    " iface INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " parent_uid INTEGER,"
    " src INTEGER,"
    " dst INTEGER,"
    " protocol INTEGER,"
    " chain INTEGER,"
    " mh_type INTEGER,"
    " icmp_type INTEGER,"
    " spi INTEGER,"
    " esp_seq INTEGER,"
    " hoa INTEGER,"
    " rh2 INTEGER,"
    " inner_src INTEGER,"
    " inner_dst INTEGER,"
    " inner_protocol INTEGER,"
    " app_seq INTEGER,"
    " size INTEGER NOT NULL,"
    " drop_reason INTEGER,"
    " partial INTEGER NOT NULL);"
    "CREATE TABLE mobility_event ("
    " time_ns INTEGER NOT NULL,"
    " node INTEGER NOT NULL,"
    " iface INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " address INTEGER,"
    " value INTEGER NOT NULL,"
    " value2 INTEGER NOT NULL);"
    "CREATE INDEX mobility_event_node_time ON mobility_event(node, time_ns);"
    "CREATE TABLE sa_event_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE sa_event ("
    " time_ns INTEGER NOT NULL,"
    " node INTEGER NOT NULL,"
    " event INTEGER NOT NULL,"
    " spi INTEGER NOT NULL,"
    " direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
    " name TEXT,"
    " keying TEXT,"
    " peer INTEGER,"
    " packets INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL);"
    "CREATE VIEW packet_events_v AS SELECT"
    " e.time_ns, e.time_ns / 1e9 AS time_s, e.node, n.name AS node_name, e.iface,"
    " k.name AS kind, e.uid, e.parent_uid, s.text AS src, d.text AS dst, e.protocol,"
    " c.text AS chain, e.mh_type, e.icmp_type, e.spi, e.esp_seq, h.text AS hoa,"
    " r2.text AS rh2, isrc.text AS inner_src, idst.text AS inner_dst, e.inner_protocol,"
    " e.app_seq, e.size, dr.name AS drop_reason, e.partial"
    " FROM packet_event e"
    " LEFT JOIN node n ON n.id = e.node"
    " LEFT JOIN event_kind k ON k.id = e.kind"
    " LEFT JOIN address s ON s.id = e.src"
    " LEFT JOIN address d ON d.id = e.dst"
    " LEFT JOIN chain c ON c.id = e.chain"
    " LEFT JOIN address h ON h.id = e.hoa"
    " LEFT JOIN address r2 ON r2.id = e.rh2"
    " LEFT JOIN address isrc ON isrc.id = e.inner_src"
    " LEFT JOIN address idst ON idst.id = e.inner_dst"
    " LEFT JOIN drop_reason dr ON dr.id = e.drop_reason;"
    "CREATE VIEW mobility_events_v AS SELECT"
    " m.time_ns, m.time_ns / 1e9 AS time_s, m.node, n.name AS node_name, m.iface,"
    " k.name AS kind, a.text AS address, m.value, m.value2"
    " FROM mobility_event m"
    " LEFT JOIN node n ON n.id = m.node"
    " LEFT JOIN mobility_kind k ON k.id = m.kind"
    " LEFT JOIN address a ON a.id = m.address;"
    "CREATE VIEW sa_events_v AS SELECT"
    " s.time_ns, s.time_ns / 1e9 AS time_s, s.node, n.name AS node_name, k.name AS event,"
    " s.spi, printf('0x%08x', s.spi) AS spi_hex, s.direction, s.name, s.keying,"
    " a.text AS peer, s.packets, s.bytes"
    " FROM sa_event s"
    " LEFT JOIN node n ON n.id = s.node"
    " LEFT JOIN sa_event_kind k ON k.id = s.event"
    " LEFT JOIN address a ON a.id = s.peer;"
    /* One row per SA: when it was installed and removed (NULL while it lives). */
    "CREATE VIEW sa_lifetimes_v AS SELECT"
    " s.node, s.spi, s.direction, s.name, s.keying, MIN(s.time_ns) AS installed_ns,"
    " (SELECT MIN(d.time_ns) FROM sa_event d WHERE d.node = s.node AND d.spi = s.spi"
    "  AND d.direction = s.direction AND d.event IN (4, 5)) AS removed_ns"
    " FROM sa_event s WHERE s.event = 1 GROUP BY s.node, s.spi, s.direction;"
    "CREATE VIEW " REC_VIEW_REKEYS ";"
    "CREATE VIEW " REC_VIEW_SIGNALLING ";"
    "CREATE VIEW " REC_VIEW_OVERHEAD ";";

const struct rec_view rec_analysis_views[REC_ANALYSIS_VIEW_COUNT] = {
    {"rekeys_v", REC_VIEW_REKEYS},
    {"signalling_v", REC_VIEW_SIGNALLING},
    {"overhead_v", REC_VIEW_OVERHEAD},
};

/*
 * Indexes for the analysis, built by rec_close.  Maintained row by row,
 * the first halves the insert rate and the second costs about 10% (raw
 * SQLite 3.40 inserts, 2 cores).  Built once at the end, they take about
 * 0.6 s per million events (bench/rec_bench.c).  mip6sec-analysis builds them when a killed
 * run left them out.  sa_event_spi serves the SPI lookups of sa_lifetimes_v and the
 * analysis views; sa_event has a few rows per SA, so it costs little.
 */
const char rec_analysis_index_sql[] =
    "CREATE INDEX IF NOT EXISTS packet_event_node_kind_time"
    " ON packet_event(node, kind, time_ns);"
    "CREATE INDEX IF NOT EXISTS packet_event_delivered ON packet_event(node, app_seq)"
    " WHERE kind = 4 AND app_seq IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS sa_event_spi ON sa_event(spi);";

struct label {
    const char *name;
    const char *description;
};

/*
 * The switches have no default case, so -Wswitch warns here when an
 * enumerator is added to rec.h without a name for the lookup table.
 */
static struct label
kind_label(enum rec_kind kind)
{
    switch (kind) {
    case REC_SEND:
        return (struct label){"send", "the IPv6 layer sends a packet the node originated"};
    case REC_RECEIVE:
        return (struct label){"receive", "a packet arrives at an interface"};
    case REC_FORWARD:
        return (struct label){"forward", "a router forwards a packet"};
    case REC_DELIVER:
        return (struct label){"deliver", "a packet is handed to a local upper layer"};
    case REC_DROP:
        return (struct label){"drop", "a packet is discarded; drop_reason says why"};
    case REC_TX:
        return (struct label){"tx", "a packet leaves an interface"};
    case REC_ENCAP:
        return (struct label){"encap", "the packet was put into an IPv6-in-IPv6 tunnel"};
    case REC_DECAP:
        return (struct label){"decap", "the packet was taken out of an IPv6-in-IPv6 tunnel"};
    case REC_ESP_PROTECT:
        return (struct label){"esp_protect", "ESP applied on output"};
    case REC_ESP_VERIFY:
        return (struct label){"esp_verify", "ESP integrity check passed, payload decrypted"};
    }
    return (struct label){NULL, NULL};
}

static struct label
drop_label(enum rec_drop drop)
{
    switch (drop) {
    case REC_DROP_NONE:
        return (struct label){"none", "not dropped"};
    case REC_DROP_NS3_TTL_EXPIRED:
        return (struct label){"ns3_ttl_expired", "ns-3 Ipv6L3Protocol: hop limit expired"};
    case REC_DROP_NS3_NO_ROUTE:
        return (struct label){"ns3_no_route", "ns-3 Ipv6L3Protocol: no route"};
    case REC_DROP_NS3_INTERFACE_DOWN:
        return (struct label){"ns3_interface_down", "ns-3 Ipv6L3Protocol: interface down"};
    case REC_DROP_NS3_ROUTE_ERROR:
        return (struct label){"ns3_route_error", "ns-3 Ipv6L3Protocol: route error"};
    case REC_DROP_NS3_UNKNOWN_PROTOCOL:
        return (struct label){"ns3_unknown_protocol", "ns-3 Ipv6L3Protocol: unknown protocol"};
    case REC_DROP_NS3_UNKNOWN_OPTION:
        return (struct label){"ns3_unknown_option", "ns-3 Ipv6L3Protocol: unknown option"};
    case REC_DROP_NS3_MALFORMED:
        return (struct label){"ns3_malformed", "ns-3 Ipv6L3Protocol: malformed header"};
    case REC_DROP_NS3_FRAGMENT_TIMEOUT:
        return (struct label){"ns3_fragment_timeout", "ns-3 Ipv6L3Protocol: reassembly timeout"};
    case REC_DROP_NS3_ND_QUEUE_FULL:
        return (struct label){"ns3_nd_queue_full",
                              "ns-3 NdiscCache: address resolution queue full, oldest packet "
                              "replaced (RFC 4861 section 7.2.2)"};
    case REC_DROP_NS3_ND_FAILED:
        return (struct label){
            "ns3_nd_failed", "ns-3 NdiscCache: address resolution failed, queued packet discarded"};
    case REC_DROP_MALFORMED:
        return (struct label){"malformed", "a header failed to parse"};
    case REC_DROP_ESP_NO_SA:
        return (struct label){"esp_no_sa", "no inbound SA with that SPI"};
    case REC_DROP_ESP_ICV:
        return (struct label){"esp_icv", "ESP integrity check failed"};
    case REC_DROP_ESP_PADDING:
        return (struct label){"esp_padding", "ESP padding or trailer invalid after decryption"};
    case REC_DROP_POLICY:
        return (struct label){"policy", "selectors of the SA or SPD entry do not match"};
    case REC_DROP_CLEAR_TEXT:
        return (struct label){"clear_text", "policy requires protection but the packet was clear"};
    case REC_DROP_MH_CHECKSUM:
        return (struct label){"mh_checksum", "Mobility Header checksum wrong"};
    case REC_DROP_MH_INVALID:
        return (struct label){"mh_invalid", "Mobility Header fields violate RFC 6275"};
    case REC_DROP_NO_BINDING:
        return (struct label){"no_binding", "no binding for the home address"};
    case REC_DROP_TUNNEL_SOURCE:
        return (struct label){"tunnel_source", "tunnel packet from an unexpected outer source"};
    case REC_DROP_BA_UNEXPECTED:
        return (struct label){"ba_unexpected", "BA matches no outstanding BU"};
    case REC_DROP_RH2_INVALID:
        return (struct label){"rh2_invalid", "type 2 routing header checks failed"};
    case REC_DROP_HAO_INVALID:
        return (struct label){"hao_invalid", "Home Address option checks failed"};
    case REC_DROP_SEND_FAILED:
        return (struct label){"send_failed", "the simulator could not send (no route)"};
    case REC_DROP_SEQ_OUT_OF_WINDOW:
        return (struct label){"seq_out_of_window", "BU sequence number not newer than binding's"};
    case REC_DROP_NOT_TUNNELLED:
        return (struct label){"not_tunnelled", "routed into the tunnel but not eligible"};
    case REC_DROP_NOT_AWAY:
        return (struct label){"not_away", "tunnel packet while the mobile node has no CoA"};
    case REC_DROP_RR_NONCE_EXPIRED:
        return (struct label){"rr_nonce_expired", "BU nonce index no longer valid"};
    case REC_DROP_RR_AUTH_FAILED:
        return (struct label){"rr_auth_failed", "BU Binding Authorization Data wrong"};
    case REC_DROP_CRYPTO_FAILED:
        return (struct label){"crypto_failed", "OpenSSL failed to compute a token or MAC"};
    case REC_DROP_ESP_TUNNEL_OUTER:
        return (struct label){"esp_tunnel_outer", "outer header does not fit the tunnel-mode SA"};
    case REC_DROP_ESP_NEXT_HEADER:
        return (struct label){"esp_next_header", "ESP payload of a tunnel-mode SA is not IPv6"};
    case REC_DROP_MPA_UNEXPECTED:
        return (struct label){"mpa_unexpected", "MPA not from the home agent, without a type 2 "
                                                "routing header or matching no MPS"};
    case REC_DROP_ESP_REPLAY:
        return (struct label){"esp_replay", "ESP sequence number already received"};
    case REC_DROP_ESP_REPLAY_OLD:
        return (struct label){"esp_replay_old", "ESP sequence number left of the replay window"};
    case REC_DROP_ESP_NO_OUTBOUND_SA:
        return (struct label){"esp_no_outbound_sa", "policy requires ESP but no SA exists yet"};
    case REC_DROP_ESP_SEQ_EXHAUSTED:
        return (struct label){"esp_seq_exhausted", "the SA sent its last sequence number"};
    case REC_DROP_ESP_SA_EXPIRED:
        return (struct label){"esp_sa_expired", "the SA reached a hard lifetime"};
    case REC_DROP_IKE_MALFORMED:
        return (struct label){"ike_malformed", "an IKE message failed to parse"};
    case REC_DROP_IKE_ICV:
        return (struct label){"ike_icv", "integrity check of an IKE Encrypted payload failed"};
    case REC_DROP_IKE_NO_SA:
        return (struct label){"ike_no_sa", "the IKE SPIs match no IKE SA"};
    case REC_DROP_IKE_UNEXPECTED:
        return (struct label){"ike_unexpected", "IKE message id or exchange not expected"};
    case REC_DROP_IKE_AUTH_FAILED:
        return (struct label){"ike_auth_failed", "unknown IKE identity or wrong AUTH value"};
    case REC_DROP_IKE_UNAUTHORIZED:
        return (struct label){"ike_unauthorized", "identity may not create SAs for that home "
                                                  "address"};
    case REC_DROP_IKE_NO_PROPOSAL:
        return (struct label){"ike_no_proposal", "no acceptable IKE proposal or exchange mode"};
    case REC_DROP_HOME_ADDRESS_DEFENDED:
        return (struct label){"home_address_defended", "neighbor advertisement for the home "
                                                       "address while the mobile node "
                                                       "de-registers from home"};
    }
    return (struct label){NULL, NULL};
}

static struct label
mob_label(enum rec_mob mob)
{
    switch (mob) {
    case REC_MOB_LINK_DOWN:
        return (struct label){"link_down", "layer-2 link lost"};
    case REC_MOB_LINK_UP:
        return (struct label){"link_up", "layer-2 link attached to a new access network"};
    case REC_MOB_MOVEMENT:
        return (struct label){"movement", "router advertisement with a new prefix"};
    case REC_MOB_COA_READY:
        return (struct label){"coa_ready", "care-of address usable; address = CoA"};
    case REC_MOB_BU_SENT:
        return (struct label){"bu_sent", "value = BU sequence number"};
    case REC_MOB_BA_RECEIVED:
        return (struct label){"ba_received", "value = status, value2 = sequence number"};
    case REC_MOB_BU_RECEIVED:
        return (struct label){"bu_received", "at the home agent; value = sequence number"};
    case REC_MOB_BA_SENT:
        return (struct label){"ba_sent", "at the home agent; value = status, value2 = sequence"};
    case REC_MOB_BINDING_ADD:
        return (struct label){"binding_add", "home agent created a binding cache entry"};
    case REC_MOB_BINDING_UPDATE:
        return (struct label){"binding_update", "home agent changed an entry's care-of address"};
    case REC_MOB_BINDING_DELETE:
        return (struct label){"binding_delete", "binding deleted or expired"};
    case REC_MOB_RETURNED_HOME:
        return (struct label){"returned_home", "mobile node is back on its home link"};
    case REC_MOB_BU_TIMEOUT:
        return (struct label){"bu_timeout", "no BA in time; value = next timeout in ms"};
    case REC_MOB_REGISTERED:
        return (struct label){"registered", "home registration complete at the mobile node"};
    case REC_MOB_HOTI_RECEIVED:
        return (struct label){"hoti_received", "correspondent node received a Home Test Init"};
    case REC_MOB_HOT_SENT:
        return (struct label){"hot_sent", "correspondent node sent a Home Test"};
    case REC_MOB_COTI_RECEIVED:
        return (struct label){"coti_received", "correspondent node received a Care-of Test Init"};
    case REC_MOB_COT_SENT:
        return (struct label){"cot_sent", "correspondent node sent a Care-of Test"};
    case REC_MOB_CN_BU_RECEIVED:
        return (struct label){"cn_bu_received", "at a correspondent node; value = sequence number"};
    case REC_MOB_CN_BA_SENT:
        return (struct label){"cn_ba_sent", "at a correspondent node; value = status"};
    case REC_MOB_CN_BINDING_ADD:
        return (struct label){"cn_binding_add", "correspondent node created a binding"};
    case REC_MOB_CN_BINDING_UPDATE:
        return (struct label){"cn_binding_update", "correspondent node refreshed a binding"};
    case REC_MOB_CN_BINDING_DELETE:
        return (struct label){"cn_binding_delete", "correspondent binding deleted or expired"};
    case REC_MOB_BRR_SENT:
        return (struct label){"brr_sent", "correspondent node sent a Binding Refresh Request"};
    case REC_MOB_BE_SENT:
        return (struct label){"be_sent", "correspondent node sent a Binding Error"};
    case REC_MOB_HOTI_SENT:
        return (struct label){"hoti_sent", "mobile node sent a HoTI; address = correspondent"};
    case REC_MOB_COTI_SENT:
        return (struct label){"coti_sent", "mobile node sent a CoTI; address = correspondent"};
    case REC_MOB_HOT_RECEIVED:
        return (struct label){"hot_received", "mobile node got a HoT; value = home nonce index"};
    case REC_MOB_COT_RECEIVED:
        return (struct label){"cot_received", "mobile node got a CoT; value = care-of nonce index"};
    case REC_MOB_CN_BU_SENT:
        return (struct label){"cn_bu_sent", "mobile node sent a BU to a correspondent; value = "
                                            "sequence number"};
    case REC_MOB_CN_BA_RECEIVED:
        return (struct label){"cn_ba_received", "mobile node got a correspondent's BA; value = "
                                                "status, value2 = sequence number"};
    case REC_MOB_MPS_SENT:
        return (struct label){"mps_sent", "mobile node sent a Mobile Prefix Solicitation; value = "
                                          "Identifier, value2 = attempt"};
    case REC_MOB_MPA_RECEIVED:
        return (struct label){"mpa_received", "mobile node accepted a Mobile Prefix Advertisement; "
                                              "value = Identifier, value2 = 1 when unsolicited"};
    case REC_MOB_MPA_SENT:
        return (struct label){"mpa_sent", "home agent sent a Mobile Prefix Advertisement; value = "
                                          "Identifier, value2 = 1 when unsolicited"};
    case REC_MOB_MPS_RECEIVED:
        return (struct label){"mps_received", "home agent got a Mobile Prefix Solicitation; value "
                                              "= Identifier"};
    case REC_MOB_IKE_REQUEST_SENT:
        return (struct label){"ike_request_sent", "value = exchange type, value2 = message id"};
    case REC_MOB_IKE_REQUEST_RECEIVED:
        return (struct label){"ike_request_received", "value = exchange type, value2 = message "
                                                      "id"};
    case REC_MOB_IKE_RESPONSE_SENT:
        return (struct label){"ike_response_sent", "value = exchange type, value2 = message id"};
    case REC_MOB_IKE_RESPONSE_RECEIVED:
        return (struct label){"ike_response_received", "value = exchange type, value2 = message "
                                                       "id"};
    case REC_MOB_IKE_RETRANSMIT:
        return (struct label){"ike_retransmit", "value = exchange type, value2 = attempt"};
    case REC_MOB_IKE_SA_UP:
        return (struct label){"ike_sa_up", "IKE SA authenticated; value = IKE version, value2 = "
                                           "setup time in ns"};
    case REC_MOB_IKE_SA_DOWN:
        return (struct label){"ike_sa_down", "IKE SA deleted; value = IKE version"};
    case REC_MOB_IKE_FAILED:
        return (struct label){"ike_failed", "exchange failed; value = Notify type, 0 for a "
                                            "timeout, value2 = exchange type"};
    case REC_MOB_IKE_SA_MOVED:
        return (struct label){"ike_sa_moved", "IKE SA follows the care-of address (K bit); "
                                              "address = new care-of address, value = IKE "
                                              "version"};
    case REC_MOB_REKEY_START:
        return (struct label){"rekey_start", "value = inbound SPI of the old pair, value2 = "
                                             "traffic kind"};
    case REC_MOB_REKEY_DONE:
        return (struct label){"rekey_done", "value = old inbound SPI, value2 = new inbound SPI"};
    case REC_MOB_IKE_SA_REKEYED:
        return (struct label){"ike_sa_rekeyed", "IKE SA rekeyed; value, value2 = low 32 bits of "
                                                "the old and new SPIi"};
    case REC_MOB_WIFI_ASSOC:
        return (struct label){"wifi_assoc", "WiFi station associated; address = access router, "
                                            "value = BSSID, value2 = access point node"};
    case REC_MOB_WIFI_DISASSOC:
        return (struct label){"wifi_disassoc", "WiFi station lost its access point after missed "
                                               "beacons; address = access router, value = "
                                               "BSSID, value2 = last beacon time in ns"};
    case REC_MOB_RS_SENT:
        return (struct label){"rs_sent", "mobile node sent a router solicitation after a link "
                                         "up; value = ns since the link up, value2 = count"};
    case REC_MOB_HOME_DAD_START:
        return (struct label){"home_dad_start", "home agent started duplicate address detection "
                                                "for a home address; value = BU sequence "
                                                "number, value2 = wait in ms"};
    case REC_MOB_HOME_DAD_DONE:
        return (struct label){"home_dad_done", "home agent's duplicate address detection ended; "
                                               "value = 0 unique, 1 duplicate, 2 abandoned, "
                                               "value2 = BU sequence number"};
    case REC_MOB_COA_OPTIMISTIC:
        return (struct label){"coa_optimistic", "care-of address in use while duplicate address "
                                                "detection runs (RFC 4429); value2 = DAD time "
                                                "left in ms"};
    case REC_MOB_COA_DAD_DONE:
        return (struct label){"coa_dad_done", "duplicate address detection of an optimistic "
                                              "care-of address ended; value = 0 unique, "
                                              "1 duplicate, 2 unfinished"};
    case REC_MOB_RA_SOLICITED:
        return (struct label){"ra_solicited", "router got a router solicitation; address = its "
                                              "source, value = ns until the response, value2 = 1 "
                                              "when an advertisement already due is the response"};
    case REC_MOB_RA_LOST:
        return (struct label){"ra_lost", "no advertisement from the default router for the "
                                         "configured number of Advertisement Intervals; value "
                                         "= ns since the last, value2 = interval in ms"};
    case REC_MOB_ROUTER_NUD:
        return (struct label){"router_nud", "unreachability detection of the default router "
                                            "ended; value = 0 reachable, 1 unreachable, "
                                            "2 abandoned, value2 = probes"};
    case REC_MOB_RATE_LIMITED:
        return (struct label){"rate_limited", "HoTI, CoTI or BU to a correspondent held back by "
                                              "MAX_UPDATE_RATE; value = wait in ms"};
    }
    return (struct label){NULL, NULL};
}

/* Fill one lookup table with every value 0-255 that has a label. */
static bool
fill_lookup(sqlite3 *db, const char *table, struct label (*label)(int))
{
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO %s(id, name, description) VALUES(?,?,?)", table);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    for (int v = 0; ok && v < 256; v++) {
        struct label l = label(v);
        if (!l.name)
            continue;
        sqlite3_bind_int(st, 1, v);
        sqlite3_bind_text(st, 2, l.name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, l.description, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ok;
}

static struct label
sa_event_label(enum rec_sa_event event)
{
    switch (event) {
    case REC_SA_INSTALL:
        return (struct label){"install", "SA added to the SAD"};
    case REC_SA_OUTBOUND:
        return (struct label){"outbound", "outbound traffic of its SPD entry now uses the SA"};
    case REC_SA_SOFT_EXPIRE:
        return (struct label){"soft_expire", "soft limit of the pair reached; the mobile node "
                                             "rekeys it"};
    case REC_SA_HARD_EXPIRE:
        return (struct label){"hard_expire", "hard limit of the pair reached; the pair is "
                                             "removed"};
    case REC_SA_DELETE:
        return (struct label){"delete", "SA removed after a rekey, a Delete or its IKE SA's end"};
    }
    return (struct label){NULL, NULL};
}

static struct label
sa_event_label_int(int v)
{
    return sa_event_label((enum rec_sa_event)v);
}

static struct label
kind_label_int(int v)
{
    return kind_label((enum rec_kind)v);
}

static struct label
drop_label_int(int v)
{
    return drop_label((enum rec_drop)v);
}

static struct label
mob_label_int(int v)
{
    return mob_label((enum rec_mob)v);
}

bool
rec_fill_lookups(sqlite3 *db)
{
    return fill_lookup(db, "event_kind", kind_label_int) &&
           fill_lookup(db, "drop_reason", drop_label_int) &&
           fill_lookup(db, "mobility_kind", mob_label_int) &&
           fill_lookup(db, "sa_event_kind", sa_event_label_int);
}
