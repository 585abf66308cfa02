/*
 * overhead.c - mip6sec-analysis --overhead: bytes added by the IPv6-in-IPv6
 * tunnel, ESP and the Mobile IPv6 extension headers per node (overhead_v),
 * and the signalling messages per mobile node (signalling_v).
 */
#include "overhead.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define OVERHEAD_COLUMNS 14

static const char *const overhead_names[OVERHEAD_COLUMNS] = {
    "node",
    "node_name",
    "encap_packets",
    "tunnel_bytes",
    "encap_other",
    "esp_packets",
    "esp_tunnel_packets",
    "esp_tunnel_bytes",
    "esp_transport_min_bytes",
    "esp_transport_max_bytes",
    "hao_packets",
    "hao_bytes",
    "rh2_packets",
    "rh2_bytes",
};

static void
fail_step(struct handoff_db *c, const char *view)
{
    fprintf(stderr, "%s: %s: failed to read %s: %s\n", c->program, c->path, view,
            sqlite3_errmsg(c->db));
    exit(HANDOFF_EXIT_UNUSABLE);
}

static void
print_overhead(struct handoff_db *c, bool csv)
{
    sqlite3_stmt *st = handoff_db_prepare(c, "SELECT * FROM overhead_v ORDER BY node");
    if (csv) {
        printf("table");
        for (int i = 0; i < OVERHEAD_COLUMNS; i++)
            printf(",%s", overhead_names[i]);
        putchar('\n');
    } else {
        printf("\noverhead per node (bytes; tunnel: 40-byte outer IPv6 header per encap; ESP "
               "tunnel mode: esp_protect size minus encap size; ESP transport mode: 38 to 53 "
               "bytes per packet; Home Address option and type 2 routing header: 24 bytes each)\n");
        printf("%4s %-6s %8s %10s %8s %10s %16s %8s %9s %8s %9s\n", "node", "name", "encap",
               "tunnel[B]", "esp", "esp tun[B]", "esp trans[B]", "hao", "hao[B]", "rh2", "rh2[B]");
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (csv) {
            printf("overhead");
            for (int i = 0; i < OVERHEAD_COLUMNS; i++) {
                const unsigned char *text = sqlite3_column_text(st, i);
                printf(",%s", text ? (const char *)text : "");
            }
            putchar('\n');
            continue;
        }
        const unsigned char *name = sqlite3_column_text(st, 1);
        printf("%4lld %-6s %8lld %10lld %8lld %10lld %6lld to %6lld %8lld %9lld %8lld %9lld\n",
               sqlite3_column_int64(st, 0), name ? (const char *)name : "",
               sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
               sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 7),
               sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9),
               sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11),
               sqlite3_column_int64(st, 12), sqlite3_column_int64(st, 13));
        if (sqlite3_column_int64(st, 4) > 0)
            printf("     note: %lld encap events have extension headers in the outer header "
                   "and are not counted in tunnel[B]\n",
                   sqlite3_column_int64(st, 4));
    }
    if (rc != SQLITE_DONE)
        fail_step(c, "overhead_v");
    sqlite3_finalize(st);
}

static void
print_signalling(struct handoff_db *c, bool csv)
{
    sqlite3_stmt *st = handoff_db_prepare(
        c, "SELECT node, node_name, sender, message, packets, bytes, packets_per_s, bytes_per_s"
           " FROM signalling_v ORDER BY node, sender DESC, message");
    if (csv)
        printf("table,node,node_name,sender,message,packets,bytes,packets_per_s,bytes_per_s\n");
    else
        printf("\nsignalling per mobile node (sent by the mobile node, or by the home agent for "
               "it; per second of the run's duration)\n%4s %-6s %-6s %-10s %8s %10s %10s %12s\n",
               "node", "name", "sender", "message", "packets", "bytes", "packets/s", "bytes/s");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 1);
        const char *node_name = name ? (const char *)name : "";
        if (csv)
            printf("signalling,%lld,%s,%s,%s,%lld,%lld,%.6f,%.6f\n", sqlite3_column_int64(st, 0),
                   node_name, sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
                   sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
                   sqlite3_column_double(st, 6), sqlite3_column_double(st, 7));
        else
            printf("%4lld %-6s %-6s %-10s %8lld %10lld %10.3f %12.3f\n",
                   sqlite3_column_int64(st, 0), node_name, sqlite3_column_text(st, 2),
                   sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4),
                   sqlite3_column_int64(st, 5), sqlite3_column_double(st, 6),
                   sqlite3_column_double(st, 7));
    }
    if (rc != SQLITE_DONE)
        fail_step(c, "signalling_v");
    sqlite3_finalize(st);
}

void
overhead_report(struct handoff_db *c, bool csv)
{
    print_overhead(c, csv);
    print_signalling(c, csv);
}
