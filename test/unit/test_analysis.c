/*
 * test_analysis.c - mip6sec-analysis on a synthetic run recorded through
 * the rec API, with four handoffs at known times, and --rekeys on a
 * campaign database written by hand.
 *
 * Nodes: 0 mn, 1 ha, 2 cn.  The CN sends UDP datagram k (SeqTs sequence
 * k) to the home address at 1000 + 10k ms, k = 0 .. 399, and each one that
 * arrives is delivered 5 ms later.  Times below are in ms.
 *
 *   handoff  down   up  move  CoA ready      BU    BA  first data   latency  lost
 *   1        1500 1550  1600  1700 (CoA1)  1710  1730  1745 decap    245      23
 *   2        3000 3040  3100  3250 (CoA2)  3260  3290  3305 decap    305      30
 *   3        4000 4020  4060  home         4075  4090  4105 deliver  105      10
 *   4        4500 4540  4600  4700 (CoA1)  4710     -  -             -        -
 *   5        5800 5840  5900  6000 (CoA2)  6010  6030 rejected  -    -        -
 *
 * Handoff 2's first BA rejects its BU (status 135) and the retry's BA is
 * accepted at 3290.  Handoff 5's only BA rejects the binding.
 *
 * Losses, counted by hand: handoff 1 opens after the delivery at 1495
 * (k = 49) and closes at 1745; k = 50 .. 74 were sent in between, k = 74
 * arrived first through CoA1 and k = 60 arrived late (buffered), so 23 are
 * lost.  Handoff 2: k = 200 .. 230 sent in (2995, 3305), only k = 230
 * arrived: 30.  Handoff 3: k = 300 .. 310 sent in (3995, 4105), only
 * k = 310 arrived: 10.
 *
 * Order: in handoff 1, k = 60 arrives after k = 74, so 1 datagram is
 * reordered.  The other host's datagram 65 is another stream and does not
 * count.  No datagram arrives twice, so every handoff with data has 0
 * duplicates.
 *
 * Statistics over handoffs 1-3 (sample standard deviation):
 *   latency 0.245, 0.305, 0.105 s: mean 0.218, median 0.245, sd 0.103
 *   lost 23, 30, 10: mean 21.0, median 23.0, sd 10.15
 *   link down to up 50, 40, 20 ms: mean 0.037, median 0.040, sd 0.015
 *   movement to CoA 100, 150 ms (handoff 3 has no CoA): 0.125, 0.125, 0.035
 *   BU to BA 20, 30, 15 ms: mean 0.022, median 0.020, sd 0.008
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rec.h"

#ifndef MIP6SEC_ANALYSIS_PATH
#define MIP6SEC_ANALYSIS_PATH "mip6sec-analysis"
#endif

#define MS 1000000ull

enum { MN = 0, HA = 1, CN = 2 };

#define ADDR(net, host) 0xfd, 0x00, 0x00, net, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, host
static const uint8_t hoa[16] = {ADDR(1, 0x64)}, ha[16] = {ADDR(1, 0x01)}, cn[16] = {ADDR(3, 0x01)},
                     coa1[16] = {ADDR(2, 0x64)}, coa2[16] = {ADDR(4, 0x64)},
                     other[16] = {ADDR(5, 0x01)};

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

static void
db_path(char *out, size_t len, const char *name)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_analysis.XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_dir);
    }
    snprintf(out, len, "%s/%s", dir, name);
}

static void
remove_db(const char *path)
{
    char name[256];
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

static size_t
put_ipv6(uint8_t *p, uint16_t payload_len, uint8_t next, const uint8_t *src, const uint8_t *dst)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    p[4] = (uint8_t)(payload_len >> 8);
    p[5] = (uint8_t)payload_len;
    p[6] = next;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    return 40;
}

/* UDP with a SeqTsHeader carrying seq; returns the packet length. */
static size_t
put_udp(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint32_t seq)
{
    size_t n = put_ipv6(p, 20, 17, src, dst);
    memset(p + n, 0, 20);
    p[n + 5] = 20;
    p[n + 8] = (uint8_t)(seq >> 24);
    p[n + 9] = (uint8_t)(seq >> 16);
    p[n + 10] = (uint8_t)(seq >> 8);
    p[n + 11] = (uint8_t)seq;
    return n + 20;
}

/* IPv6-in-IPv6 around a CN -> home address packet: UDP with seq, or an ICMPv6 echo request. */
static size_t
put_tunnel(uint8_t *p, const uint8_t *outer_dst, bool udp, uint32_t seq)
{
    size_t n = put_ipv6(p, udp ? 60 : 48, 41, ha, outer_dst);
    if (udp)
        return n + put_udp(p + n, cn, hoa, seq);
    n += put_ipv6(p + n, 8, 58, cn, hoa);
    memset(p + n, 0, 8);
    p[n] = 128;
    return n + 8;
}

static void
packet(struct rec *r, uint64_t ms, uint32_t node, enum rec_kind kind, const uint8_t *pkt,
       size_t len)
{
    static uint64_t uid = 1;
    rec_packet(r, ms * MS, node, 1, kind, pkt, len, len + 1000, uid++, 0, REC_DROP_NONE);
}

/* Datagram k from the CN, and its path to the mobile node if it arrives. */
static void
record_datagram(struct rec *r, uint32_t k)
{
    uint8_t pkt[200];
    uint64_t sent = 1000 + 10 * (uint64_t)k;
    size_t len = put_udp(pkt, cn, hoa, k);
    packet(r, sent, CN, REC_SEND, pkt, len);
    packet(r, sent, CN, REC_TX, pkt, len);

    const uint8_t *via = NULL;
    uint64_t arrives = sent + 5;
    bool home = false;
    if (sent < 1500 || (sent >= 4100 && sent < 4500)) {
        home = true;
    } else if (k == 60) {
        via = coa1; /* buffered at the HA during handoff 1, arrives after the first data */
        arrives = 1750;
    } else if (sent >= 1740 && sent < 3000) {
        via = coa1;
    } else if (sent >= 3300 && sent < 4000) {
        via = coa2;
    } else {
        return; /* lost */
    }

    if (!home) {
        uint8_t tun[200];
        size_t tlen = put_tunnel(tun, via, true, k);
        packet(r, sent + 2, HA, REC_ENCAP, tun, tlen);
        packet(r, sent + 2, HA, REC_SEND, tun, tlen); /* outer dst is the CoA: not a CN send */
        packet(r, arrives, MN, REC_RECEIVE, tun, tlen);
        packet(r, arrives, MN, REC_DECAP, tun, tlen);
    } else {
        packet(r, arrives, MN, REC_RECEIVE, pkt, len);
    }
    packet(r, arrives, MN, REC_DELIVER, pkt, len);
}

static void
mob(struct rec *r, uint64_t ms, uint32_t node, enum rec_mob kind, const uint8_t *addr,
    int64_t value, int64_t value2)
{
    rec_mobility(r, ms * MS, node, 1, kind, addr, value, value2);
}

static void
record_mobility(struct rec *r)
{
    mob(r, 1500, MN, REC_MOB_LINK_DOWN, NULL, 0, 0);
    mob(r, 1550, MN, REC_MOB_LINK_UP, NULL, 0, 0);
    mob(r, 1600, MN, REC_MOB_MOVEMENT, NULL, 0, 0);
    mob(r, 1700, MN, REC_MOB_COA_READY, coa1, 0, 0);
    mob(r, 1710, MN, REC_MOB_BU_SENT, coa1, 1, 0);
    mob(r, 1720, HA, REC_MOB_BU_RECEIVED, coa1, 1, 0);
    mob(r, 1720, HA, REC_MOB_BINDING_ADD, hoa, 0, 0);
    mob(r, 1721, HA, REC_MOB_BA_SENT, coa1, 0, 1);
    mob(r, 1730, MN, REC_MOB_BA_RECEIVED, NULL, 0, 1);
    mob(r, 1731, MN, REC_MOB_REGISTERED, NULL, 0, 0);

    mob(r, 3000, MN, REC_MOB_LINK_DOWN, NULL, 0, 0);
    mob(r, 3040, MN, REC_MOB_LINK_UP, NULL, 0, 0);
    mob(r, 3100, MN, REC_MOB_MOVEMENT, NULL, 0, 0);
    mob(r, 3200, MN, REC_MOB_COA_READY, coa1, -1, 4); /* duplicate address detection failed */
    mob(r, 3250, MN, REC_MOB_COA_READY, coa2, 0, 0);
    mob(r, 3260, MN, REC_MOB_BU_SENT, coa2, 2, 0);
    mob(r, 3270, MN, REC_MOB_BA_RECEIVED, NULL, 135, 2); /* sequence out of window */
    mob(r, 3271, MN, REC_MOB_BU_SENT, coa2, 3, 0);
    mob(r, 3275, HA, REC_MOB_BINDING_UPDATE, hoa, 0, 0);
    mob(r, 3290, MN, REC_MOB_BA_RECEIVED, NULL, 0, 3);

    mob(r, 4000, MN, REC_MOB_LINK_DOWN, NULL, 0, 0);
    mob(r, 4020, MN, REC_MOB_LINK_UP, NULL, 0, 0);
    mob(r, 4060, MN, REC_MOB_MOVEMENT, NULL, 0, 0);
    mob(r, 4070, MN, REC_MOB_RETURNED_HOME, hoa, 0, 0);
    mob(r, 4075, MN, REC_MOB_BU_SENT, hoa, 4, 0);
    mob(r, 4085, HA, REC_MOB_BINDING_DELETE, hoa, 0, 0);
    mob(r, 4090, MN, REC_MOB_BA_RECEIVED, NULL, 0, 4);

    mob(r, 4500, MN, REC_MOB_LINK_DOWN, NULL, 0, 0);
    mob(r, 4540, MN, REC_MOB_LINK_UP, NULL, 0, 0);
    mob(r, 4600, MN, REC_MOB_MOVEMENT, NULL, 0, 0);
    mob(r, 4700, MN, REC_MOB_COA_READY, coa1, 0, 0);
    mob(r, 4710, MN, REC_MOB_BU_SENT, coa1, 5, 0);
    mob(r, 5710, MN, REC_MOB_BU_TIMEOUT, NULL, 2000, 0);
    mob(r, 5711, MN, REC_MOB_BU_SENT, coa1, 6, 0);

    mob(r, 5800, MN, REC_MOB_LINK_DOWN, NULL, 0, 0);
    mob(r, 5840, MN, REC_MOB_LINK_UP, NULL, 0, 0);
    mob(r, 5900, MN, REC_MOB_MOVEMENT, NULL, 0, 0);
    mob(r, 6000, MN, REC_MOB_COA_READY, coa2, 0, 0);
    mob(r, 6010, MN, REC_MOB_BU_SENT, coa2, 7, 0);
    mob(r, 6030, MN, REC_MOB_BA_RECEIVED, NULL, 129, 7); /* administratively prohibited */
}

/* Events that the analysis must ignore. */
static void
record_distractions(struct rec *r)
{
    uint8_t pkt[200];
    size_t len;

    /* A tunnelled ICMPv6 echo through CoA2 before the first UDP data of handoff 2. */
    len = put_tunnel(pkt, coa2, false, 0);
    packet(r, 3295, MN, REC_DECAP, pkt, len);
    /* A UDP datagram through the old care-of address during handoff 2. */
    len = put_tunnel(pkt, coa1, true, 9999);
    packet(r, 3280, MN, REC_DECAP, pkt, len);
    /* A second CN flow to another host, with sequence numbers inside the loss windows. */
    len = put_udp(pkt, cn, other, 55);
    packet(r, 1600, CN, REC_SEND, pkt, len);
    len = put_udp(pkt, cn, other, 210);
    packet(r, 3100, CN, REC_SEND, pkt, len);
    /* Another host's datagram 65 reaches the mobile node; the CN's 65 is still lost. */
    len = put_udp(pkt, other, hoa, 65);
    packet(r, 1760, MN, REC_DELIVER, pkt, len);
    /* A BU refresh while the link is down is not the BU of the new care-of address. */
    mob(r, 3010, MN, REC_MOB_BU_SENT, coa1, 9, 0);
    /* Uplink UDP from the mobile node to the CN. */
    for (uint32_t m = 0; m < 40; m++) {
        len = put_udp(pkt, hoa, cn, m);
        packet(r, 1003 + 100 * (uint64_t)m, MN, REC_SEND, pkt, len);
        packet(r, 1008 + 100 * (uint64_t)m, CN, REC_DELIVER, pkt, len);
    }
}

/* Record the scenario; with close false the run stays 'running' with its index unbuilt. */
static void
record_scenario(const char *path, bool close)
{
    char err[512];
    struct rec *r = rec_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "rec_open: %s\n", err);
        exit(1);
    }
    rec_param(r, "scenario", "synthetic");
    rec_begin(r, 1, 1, "3.37", "0.1.0");
    rec_node(r, MN, "mn");
    rec_node(r, HA, "ha");
    rec_node(r, CN, "cn");
    record_mobility(r);
    record_distractions(r);
    for (uint32_t k = 0; k < 400; k++)
        record_datagram(r, k);
    if (close)
        CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);
    else
        rec_flush(r);
}

/* Run the analysis with args; returns its exit status and stores stdout and stderr in out. */
static int
run_analysis(const char *args, char *out, size_t len)
{
    const char *bin = getenv("MIP6SEC_ANALYSIS");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin ? bin : MIP6SEC_ANALYSIS_PATH, args);
    FILE *p = popen(cmd, "r");
    if (!p) {
        perror("popen");
        check_failures++;
        out[0] = '\0';
        return -1;
    }
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CHECK_CONTAINS(text, needle)                                                               \
    do {                                                                                           \
        if (!strstr((text), (needle))) {                                                           \
            fprintf(stderr, "%s:%d: output lacks \"%s\"; output was:\n%s\n", __FILE__, __LINE__,   \
                    (needle), (text));                                                             \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

static void
csv_rows_match_hand_values(void)
{
    char path[256], args[512], out[16384];
    db_path(path, sizeof path, "complete.db");
    record_scenario(path, true);
    snprintf(args, sizeof args, "--csv '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    const char *expected =
        "node,node_name,handoff,link_down_s,link_up_s,movement_s,coa_ready_s,bu_sent_s,"
        "ba_received_s,ba_status,first_data_s,latency_s,lost_packets,care_of_address,"
        "returned_home,included,note,duplicates,reordered,rr_tokens_s,cn_ba_received_s,"
        "first_ro_data_s,rr_s,cn_registration_s,ike_start_s,ike_sa_up_s,sas_ready_s,"
        "ike_sa_moved_s,ike_s,tcp_recovery_s\n"
        "0,mn,1,1.500,1.550,1.600,1.700,1.710,1.730,0,1.745,0.245,23,fd00:2::64,0,1,,0,1,"
        "-,-,-,-,-,-,-,-,-,-,-\n"
        "0,mn,2,3.000,3.040,3.100,3.250,3.260,3.290,0,3.305,0.305,30,fd00:4::64,0,1,,0,0,"
        "-,-,-,-,-,-,-,-,-,-,-\n"
        "0,mn,3,4.000,4.020,4.060,-,4.075,4.090,0,4.105,0.105,10,,1,1,,0,0,"
        "-,-,-,-,-,-,-,-,-,-,-\n"
        "0,mn,4,4.500,4.540,4.600,4.700,4.710,-,-,-,-,-,fd00:2::64,0,0,no BA received,"
        "-,-,-,-,-,-,-,-,-,-,-,-,-\n"
        "0,mn,5,5.800,5.840,5.900,6.000,6.010,6.030,129,-,-,-,fd00:4::64,0,0,"
        "BA rejected the binding (status 129),-,-,-,-,-,-,-,-,-,-,-,-,-\n";
    if (strcmp(out, expected) != 0) {
        fprintf(stderr, "CSV output differs.\nreturned:\n%s\nexpected:\n%s\n", out, expected);
        check_failures++;
    }
    remove_db(path);
}

static void
table_statistics_match_hand_values(void)
{
    char path[256], args[512], out[16384];
    db_path(path, sizeof path, "table.db");
    record_scenario(path, true);
    snprintf(args, sizeof args, "'%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);

    CHECK_CONTAINS(out, "status complete\n");
    CHECK(strstr(out, "warning") == NULL);
    CHECK_CONTAINS(out, "mobile node 0 (mn)\n");
    CHECK(strstr(out, "mobile node 1") == NULL);
    CHECK_CONTAINS(out, "latency[s]");
    CHECK_CONTAINS(out, "  1      1.500      1.550      1.600      1.700      1.710      1.730"
                        "      0      1.745      0.245      23  fd00:2::64\n");
    CHECK_CONTAINS(out, "  3      4.000      4.020      4.060          -      4.075      4.090"
                        "      0      4.105      0.105      10  (home link)\n");
    CHECK_CONTAINS(out, "  4      4.500      4.540      4.600      4.700      4.710          -"
                        "      -          -          -       -  fd00:2::64\n");
    CHECK_CONTAINS(out, "note: node 0 handoff 4: no BA received; excluded from the statistics\n");
    CHECK_CONTAINS(out, "note: node 0 handoff 5: BA rejected the binding (status 129); excluded "
                        "from the statistics\n");
    CHECK_CONTAINS(out, "statistics over 3 of 5 handoffs");
    CHECK_CONTAINS(out, "latency (down to data)        3      0.218      0.245      0.103\n");
    CHECK_CONTAINS(out, "link down to link up          3      0.037      0.040      0.015\n");
    CHECK_CONTAINS(out, "movement to CoA ready         2      0.125      0.125      0.035\n");
    CHECK_CONTAINS(out, "BU sent to BA received        3      0.022      0.020      0.008\n");
    CHECK_CONTAINS(out, "BA received to first data     3      0.015      0.015      0.000\n");
    CHECK_CONTAINS(out, "lost packets (count)          3       21.0       23.0      10.15\n");
    remove_db(path);
}

static void
killed_run_is_analysed_with_warning(void)
{
    char path[256], args[512], out[16384];
    db_path(path, sizeof path, "killed.db");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        record_scenario(path, false);
        _exit(0); /* no rec_close: status stays 'running', no analysis index */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);

    snprintf(args, sizeof args, "'%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "warning: run status is 'running', not 'complete': the run is "
                        "incomplete; results cover what was recorded\n");
    CHECK_CONTAINS(out, "note: building index packet_event_node_kind_time");
    CHECK_CONTAINS(out, "latency (down to data)        3      0.218      0.245      0.103\n");

    /* In CSV mode the warning goes to stderr, which run_analysis merges. */
    snprintf(args, sizeof args, "--csv '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "warning: run status is 'running'");
    CHECK(strstr(out, "note: building index") == NULL);
    CHECK_CONTAINS(out, "0,mn,2,3.000,3.040,3.100,3.250,3.260,3.290,0,3.305,0.305,30,");
    remove_db(path);
}

static void
unusable_inputs_exit_2(void)
{
    char path[256], args[512], out[16384];

    CHECK_EQ_INT(run_analysis("'/nonexistent/run.db'", out, sizeof out), 2);
    CHECK_CONTAINS(out, "/nonexistent/run.db: file not found");

    CHECK_EQ_INT(run_analysis("", out, sizeof out), 2);
    CHECK_CONTAINS(out, "usage: mip6sec-analysis [--csv] [--tcpWindow=S] [--tcpFraction=F] RUN.db");
    CHECK_EQ_INT(run_analysis("--bogus x.db", out, sizeof out), 2);
    CHECK_CONTAINS(out, "unexpected argument '--bogus'");
    CHECK_EQ_INT(run_analysis("--rekey x.db", out, sizeof out), 2);
    CHECK_CONTAINS(out, "unexpected argument '--rekey'; did you mean --rekeys?");

    db_path(path, sizeof path, "text.db");
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("this is not a database, it is plain text that is long enough to matter\n", f);
        fclose(f);
    }
    snprintf(args, sizeof args, "'%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "not a mip6sec database");
    remove_db(path);

    /* A run in which no mobile node moved is an empty result, not an
     * error, so parameter sweeps can include it. */
    db_path(path, sizeof path, "no-mn.db");
    struct rec *r = rec_open(path, NULL, 0);
    rec_begin(r, 1, 1, "3.37", "0.1.0");
    rec_mobility(r, 5 * MS, HA, 1, REC_MOB_BINDING_ADD, hoa, 0, 0);
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);
    snprintf(args, sizeof args, "'%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "no mobile node moved");
    remove_db(path);
}

/*
 * One handoff whose first BA is lost: BU 1 at 1710 ms, BU 2 at 3210 ms and
 * its BA at 3230 ms.  The home agent tunnels data from 1740 ms on, so the
 * first datagram arrives at 1745 ms.  The components must still add up to
 * the 245 ms latency, so BU to BA ends at the first data (35 ms) and BA to
 * first data is 0.
 */
static void
late_ba_counts_at_first_data(void)
{
    char path[256], args[512], out[16384];
    uint8_t pkt[200], tun[200];

    db_path(path, sizeof path, "late-ba.db");
    struct rec *r = rec_open(path, NULL, 0);
    rec_begin(r, 1, 1, "3.37", "0.1.0");
    rec_node(r, MN, "mn");
    mob(r, 1500, MN, REC_MOB_LINK_DOWN, NULL, 0, 0);
    mob(r, 1550, MN, REC_MOB_LINK_UP, NULL, 0, 0);
    mob(r, 1600, MN, REC_MOB_MOVEMENT, NULL, 0, 0);
    mob(r, 1700, MN, REC_MOB_COA_READY, coa1, 0, 0);
    mob(r, 1710, MN, REC_MOB_BU_SENT, coa1, 1, 0);
    mob(r, 3210, MN, REC_MOB_BU_TIMEOUT, NULL, 2000, 1);
    mob(r, 3210, MN, REC_MOB_BU_SENT, coa1, 2, 0);
    mob(r, 3230, MN, REC_MOB_BA_RECEIVED, NULL, 0, 2);
    for (uint32_t k = 0; k < 300; k++) {
        uint64_t sent = 1000 + 10 * (uint64_t)k;
        size_t len = put_udp(pkt, cn, hoa, k);
        packet(r, sent, CN, REC_SEND, pkt, len);
        if (sent < 1500) {
            packet(r, sent + 5, MN, REC_DELIVER, pkt, len);
        } else if (sent >= 1740) {
            size_t tlen = put_tunnel(tun, coa1, true, k);
            packet(r, sent + 5, MN, REC_DECAP, tun, tlen);
            packet(r, sent + 5, MN, REC_DELIVER, pkt, len);
        }
    }
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);

    snprintf(args, sizeof args, "'%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "latency (down to data)        1      0.245");
    CHECK_CONTAINS(out, "BU sent to BA received        1      0.035");
    CHECK_CONTAINS(out, "BA received to first data     1      0.000");
    CHECK_CONTAINS(out,
                   "data arrived 1.485 s before the BA, which acknowledged BU 2 of this handoff");
    remove_db(path);
}

/*
 * A campaign database built by hand for mip6sec-analysis --rekeys.
 * Configuration 0 (speed=10) has two replications with three rekeys each;
 * configuration 1 (traffic=udp,ping, a label that CSV must quote) has
 * none.  Times in ms, stored in ns as the merge stores them:
 *
 *   rep rekey start   end    duration ike esp drops ha-ovl mn-ovl last down  handoff (1 s)
 *   1   1     14000  14020     20       8   0    1     19     20    5000      no
 *   1   2     14040  14062     22       8   0    0     20     21    5000      no
 *   1   3     22000  22024     24       8   0    3     21     22   15000      no
 *   2   1     13000  14020   1020      16   4   10      -    500   12500      yes, 500 ms before
 *   2   2     21000  21026     26       8   0    2     22     23   12500      no
 *   2   3     23000      -      -       4   2    6      -      -   22900      yes, 100 ms before
 *
 * Statistics, by hand and checked with Python 3.11's statistics module.
 * Percentiles interpolate as R's quantile type 7 does, and t(0.975, df)
 * comes from a t table: df 1 12.7062047, df 3 3.18244631, df 4
 * 2.77644511, df 5 2.57058184.
 *   duration all {20, 22, 24, 26, 1020}: mean 222.4, median 24, p5 20.4,
 *     p95 26 + 0.8 * 994 = 821.2, sd sqrt(795227.2 / 4) = 445.877562,
 *     CI 222.4 -+ 2.77644511 * 445.877562 / sqrt(5) = [-331.230117, 776.030117]
 *   duration handoff {1020}: n 1, no sd and no CI
 *   duration no handoff {20, 22, 24, 26}: mean 23, median 23, p5 20.3, p95 25.7,
 *     sd sqrt(20 / 3) = 2.581989, CI [18.891479, 27.108521]
 *   ESP drops handoff {4, 2}: mean 3, median 3, p5 2.1, p95 3.9, sd sqrt(2),
 *     CI 3 -+ 12.7062047 = [-9.7062047, 15.7062047]
 *   ESP drops all {0, 0, 0, 4, 0, 2}: mean 1, median 0, p5 0, p95 3.5,
 *     sd sqrt(14 / 5) = 1.673320, CI [-0.756042, 2.756042]
 *   overlap at ha handoff: both are NULL, so n 0
 *   overlap at ha all {19, 20, 21, 22}: mean 20.5, p5 19.15, p95 21.85,
 *     sd sqrt(5 / 3) = 1.290994, CI [18.445740, 22.554260]
 *   IKE events handoff {16, 4}: mean 10, p5 4.6, p95 15.4, sd sqrt(72),
 *     CI 10 -+ 12.7062047 * 6
 *   drops no handoff {1, 0, 3, 2}: mean 1.5, p5 0.15, p95 2.85,
 *     sd sqrt(5 / 3), CI 1.5 -+ 3.18244631 * sqrt(5 / 3) / 2
 * With --handoffWindow=0.4 rekey 2.1 no longer coincides: duration handoff
 * has n 0, duration no handoff equals duration all, ESP drops handoff {2}.
 * With 0 no rekey coincides, and drops no handoff {1, 0, 3, 10, 2, 6} has
 * mean 22 / 6, median 2.5, p5 0.25, p95 9, sd 3.723797, CI [-0.241219, 7.574552].
 */
static const char campaign_schema[] =
    "CREATE TABLE campaign (name TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE configuration (config INTEGER PRIMARY KEY, label TEXT NOT NULL);"
    "CREATE TABLE run (config INTEGER NOT NULL, replication INTEGER NOT NULL,"
    " seed INTEGER NOT NULL, status TEXT NOT NULL, path TEXT NOT NULL, run_id TEXT,"
    " handoffs INTEGER, rekeys INTEGER, PRIMARY KEY (config, replication));"
    "CREATE TABLE handoff (config INTEGER NOT NULL, replication INTEGER NOT NULL);"
    "CREATE TABLE rekey (config INTEGER NOT NULL, replication INTEGER NOT NULL,"
    " node INTEGER NOT NULL, node_name TEXT, rekey INTEGER NOT NULL, kind TEXT, peer INTEGER,"
    " old_spi INTEGER, new_spi INTEGER, start_ns INTEGER NOT NULL, end_ns INTEGER,"
    " duration_ns INTEGER, ike_events INTEGER, loss_end_ns INTEGER, esp_drops INTEGER,"
    " drops INTEGER, ha_old_in INTEGER, ha_new_in INTEGER, ha_overlap_ns INTEGER,"
    " mn_overlap_ns INTEGER, last_link_down_ns INTEGER,"
    " PRIMARY KEY (config, replication, node, rekey));"
    "INSERT INTO campaign VALUES ('file', 'hand.campaign');"
    "INSERT INTO configuration VALUES (0, 'speed=10'), (1, 'traffic=udp,ping');"
    "INSERT INTO run VALUES (0, 1, 1, 'complete', 'a.db', 'a', 2, 3),"
    " (0, 2, 1, 'complete', 'b.db', 'b', 2, 3), (1, 1, 1, 'complete', 'c.db', 'c', 2, 0),"
    " (1, 2, 1, 'interrupted', 'd.db', 'd', NULL, NULL);";

/* One rekey of configuration 0, in ms; a negative value is NULL. */
static const struct {
    int replication, rekey;
    double start, end, ike, esp, drops, ha_overlap, mn_overlap, last_down;
} hand_rekeys[] = {
    {1, 1, 14000, 14020, 8, 0, 1, 19, 20, 5000},  {1, 2, 14040, 14062, 8, 0, 0, 20, 21, 5000},
    {1, 3, 22000, 22024, 8, 0, 3, 21, 22, 15000}, {2, 1, 13000, 14020, 16, 4, 10, -1, 500, 12500},
    {2, 2, 21000, 21026, 8, 0, 2, 22, 23, 12500}, {2, 3, 23000, -1, 4, 2, 6, -1, -1, 22900},
};

static void
bind_ms(sqlite3_stmt *st, int column, double ms)
{
    if (ms < 0)
        sqlite3_bind_null(st, column);
    else
        sqlite3_bind_int64(st, column, (sqlite3_int64)(ms * 1e6 + 0.5));
}

/* Write the campaign database of the table above; with rekeys false its rekey table is empty. */
static void
write_hand_campaign(const char *path, bool rekeys)
{
    remove_db(path);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, campaign_schema, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db,
                                    "INSERT INTO rekey (config, replication, node, node_name,"
                                    " rekey, kind, start_ns, end_ns, duration_ns, ike_events,"
                                    " esp_drops, drops, ha_overlap_ns, mn_overlap_ns,"
                                    " last_link_down_ns)"
                                    " VALUES (0, ?, 0, 'mn', ?, 'bu', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    -1, &st, NULL),
                 SQLITE_OK);
    for (size_t i = 0; rekeys && i < sizeof hand_rekeys / sizeof hand_rekeys[0]; i++) {
        sqlite3_bind_int(st, 1, hand_rekeys[i].replication);
        sqlite3_bind_int(st, 2, hand_rekeys[i].rekey);
        bind_ms(st, 3, hand_rekeys[i].start);
        bind_ms(st, 4, hand_rekeys[i].end);
        bind_ms(st, 5, hand_rekeys[i].end < 0 ? -1 : hand_rekeys[i].end - hand_rekeys[i].start);
        sqlite3_bind_int(st, 6, (int)hand_rekeys[i].ike);
        sqlite3_bind_int(st, 7, (int)hand_rekeys[i].esp);
        sqlite3_bind_int(st, 8, (int)hand_rekeys[i].drops);
        bind_ms(st, 9, hand_rekeys[i].ha_overlap);
        bind_ms(st, 10, hand_rekeys[i].mn_overlap);
        bind_ms(st, 11, hand_rekeys[i].last_down);
        CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    CHECK_EQ_INT(sqlite3_close(db), SQLITE_OK);
}

/*
 * Check the CSV row that starts with prefix ("config,label,quantity,subset,"):
 * n, then mean, median, p5, p95, sd, CI low and high, where NAN expects an
 * empty field.
 */
static void
check_csv_row(const char *out, const char *prefix, long n, const double expected[7], int line)
{
    char needle[128];
    snprintf(needle, sizeof needle, "\n%s", prefix);
    const char *row = strstr(out, needle);
    if (!row) {
        fprintf(stderr, "%s:%d: no CSV row starts with \"%s\"; output was:\n%s\n", __FILE__, line,
                prefix, out);
        check_failures++;
        return;
    }

    const char *p = row + strlen(needle);
    char *end = NULL;
    long got_n = strtol(p, &end, 10);
    if (got_n != n) {
        fprintf(stderr, "%s:%d: %s n is %ld, expected %ld\n", __FILE__, line, prefix, got_n, n);
        check_failures++;
    }
    static const char *const fields[7] = {"mean", "median",   "p5",       "p95",
                                          "sd",   "ci95_low", "ci95_high"};
    p = end;
    for (int i = 0; i < 7; i++) {
        if (*p != ',') {
            fprintf(stderr, "%s:%d: %s has no %s field\n", __FILE__, line, prefix, fields[i]);
            check_failures++;
            return;
        }
        p++;
        bool empty = *p == ',' || *p == '\n' || *p == '\0';
        double v = empty ? NAN : strtod(p, &end);
        if (!empty)
            p = end;
        bool ok = isnan(expected[i])
                      ? empty
                      : !empty && fabs(v - expected[i]) <= 1e-6 * fmax(1.0, fabs(expected[i]));
        if (!ok) {
            fprintf(stderr, "%s:%d: %s %s is %.9g, expected %.9g\n", __FILE__, line, prefix,
                    fields[i], v, expected[i]);
            check_failures++;
        }
    }
    if (*p != '\n' && *p != '\0') {
        fprintf(stderr, "%s:%d: %s has more than 12 fields\n", __FILE__, line, prefix);
        check_failures++;
    }
}

#define CHECK_CSV_ROW(out, prefix, n, ...)                                                         \
    check_csv_row((out), (prefix), (n), (const double[7]){__VA_ARGS__}, __LINE__)

static void
campaign_rekeys_csv_matches_hand_values(void)
{
    char path[256], args[512], out[16384];
    db_path(path, sizeof path, "rekey-campaign.db");
    write_hand_campaign(path, true);
    snprintf(args, sizeof args, "--rekeys --csv '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);

    const char header[] =
        "config,label,quantity,subset,n,mean,median,p5,p95,sd,ci95_low,ci95_high\n";
    CHECK(strncmp(out, header, sizeof header - 1) == 0);
    CHECK_CSV_ROW(out, "0,speed=10,duration_ms,all,", 5, 222.4, 24, 20.4, 821.2, 445.877562,
                  -331.230117, 776.030117);
    CHECK_CSV_ROW(out, "0,speed=10,duration_ms,handoff,", 1, 1020, 1020, 1020, 1020, NAN, NAN, NAN);
    CHECK_CSV_ROW(out, "0,speed=10,duration_ms,no_handoff,", 4, 23, 23, 20.3, 25.7, 2.581989,
                  18.891479, 27.108521);
    CHECK_CSV_ROW(out, "0,speed=10,esp_drops,all,", 6, 1, 0, 0, 3.5, 1.673320, -0.756042, 2.756042);
    CHECK_CSV_ROW(out, "0,speed=10,esp_drops,handoff,", 2, 3, 3, 2.1, 3.9, sqrt(2.0), -9.7062047,
                  15.7062047);
    CHECK_CSV_ROW(out, "0,speed=10,esp_drops,no_handoff,", 4, 0, 0, 0, 0, 0, 0, 0);
    CHECK_CSV_ROW(out, "0,speed=10,ha_overlap_ms,all,", 4, 20.5, 20.5, 19.15, 21.85, 1.290994,
                  18.445740, 22.554260);
    CHECK_CSV_ROW(out, "0,speed=10,ha_overlap_ms,handoff,", 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN);
    CHECK_CSV_ROW(out, "0,speed=10,mn_overlap_ms,handoff,", 1, 500, 500, 500, 500, NAN, NAN, NAN);
    CHECK_CSV_ROW(out, "0,speed=10,ike_events,handoff,", 2, 10, 10, 4.6, 15.4, sqrt(72.0),
                  10 - 12.7062047 * 6, 10 + 12.7062047 * 6);
    CHECK_CSV_ROW(out, "0,speed=10,drops,no_handoff,", 4, 1.5, 1.5, 0.15, 2.85, sqrt(5.0 / 3),
                  1.5 - 3.18244631 * sqrt(5.0 / 3) / 2, 1.5 + 3.18244631 * sqrt(5.0 / 3) / 2);

    /* The configuration without rekeys has every row, with n 0, and its label is quoted. */
    CHECK_CSV_ROW(out, "1,\"traffic=udp,ping\",duration_ms,all,", 0, NAN, NAN, NAN, NAN, NAN, NAN,
                  NAN);
    CHECK_CSV_ROW(out, "1,\"traffic=udp,ping\",mn_overlap_ms,no_handoff,", 0, NAN, NAN, NAN, NAN,
                  NAN, NAN, NAN);

    /* 2 configurations x 6 quantities x 3 subsets, and the header. */
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, 1 + 2 * 6 * 3);
    remove_db(path);
}

static void
campaign_rekeys_window_moves_rekey(void)
{
    char path[256], args[512], out[16384];
    db_path(path, sizeof path, "rekey-window.db");
    write_hand_campaign(path, true);
    snprintf(args, sizeof args, "--rekeys --csv --handoffWindow=0.4 '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);

    CHECK_CSV_ROW(out, "0,speed=10,duration_ms,handoff,", 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN);
    CHECK_CSV_ROW(out, "0,speed=10,duration_ms,no_handoff,", 5, 222.4, 24, 20.4, 821.2, 445.877562,
                  -331.230117, 776.030117);
    CHECK_CSV_ROW(out, "0,speed=10,esp_drops,handoff,", 1, 2, 2, 2, 2, NAN, NAN, NAN);

    /* A window of 0 leaves no rekey coinciding: both link downs came before the starts. */
    snprintf(args, sizeof args, "--rekeys --csv --handoffWindow=0 '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CSV_ROW(out, "0,speed=10,drops,handoff,", 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN);
    CHECK_CSV_ROW(out, "0,speed=10,drops,no_handoff,", 6, 22.0 / 6, 2.5, 0.25, 9, 3.723797,
                  -0.241219, 7.574552);
    remove_db(path);
}

static void
campaign_rekeys_table(void)
{
    char path[256], args[512], out[16384];
    db_path(path, sizeof path, "rekey-table.db");
    write_hand_campaign(path, true);
    snprintf(args, sizeof args, "--rekeys '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);

    CHECK_CONTAINS(out, "campaign hand.campaign: 2 configurations, 4 runs, 3 complete, 6 rekeys\n");
    CHECK_CONTAINS(out, "link_down lies from 1.000 s before rekey_start to rekey_done");
    CHECK_CONTAINS(out, "\nconfiguration 0: speed=10\n2 of 2 runs complete, 6 rekeys: 2 coincided "
                        "with a handoff, 4 did not; 1 never finished, so they have no "
                        "duration\n");
    CHECK_CONTAINS(out, "\nduration (ms)        all            5   222.400    24.000    20.400   "
                        "821.200   445.878  [-331.230,  776.030]\n");
    CHECK_CONTAINS(out, "\nduration (ms)        handoff        1  1020.000  1020.000  1020.000  "
                        "1020.000         -                     -\n");
    CHECK_CONTAINS(out, "\nduration (ms)        no handoff     4    23.000    23.000    20.300    "
                        "25.700     2.582  [  18.891,   27.109]\n");
    CHECK_CONTAINS(out, "\nconfiguration 1: traffic=udp,ping\n1 of 2 runs complete, 0 rekeys: 0 "
                        "coincided with a handoff, 0 did not\n");
    remove_db(path);
}

static void
campaign_rekeys_unusable_inputs(void)
{
    char path[256], args[512], out[16384];

    /* Merged by a version without the rekey table. */
    db_path(path, sizeof path, "old-campaign.db");
    write_hand_campaign(path, true);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "DROP TABLE rekey", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    snprintf(args, sizeof args, "--rekeys '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "old-campaign.db: the campaign database has no rekey table");
    CHECK_CONTAINS(out, "run 'mip6sec-campaign merge' again");
    remove_db(path);

    /* No run recorded a rekey: a result, not an error, in both formats. */
    db_path(path, sizeof path, "no-rekeys.db");
    write_hand_campaign(path, false);
    snprintf(args, sizeof args, "--rekeys '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "no-rekeys.db: no rekeys: none of the 3 complete runs recorded an SA "
                        "rekey. Rekeys need --keying=ikev2 or ikev1");
    CHECK(strstr(out, "configuration 0") == NULL);
    snprintf(args, sizeof args, "--rekeys --csv '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "config,label,quantity,subset,n,");
    CHECK_CONTAINS(out, "no-rekeys.db: no rekeys");

    snprintf(args, sizeof args, "--rekeys --cdf '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "--rekeys and --cdf exclude each other");
    snprintf(args, sizeof args, "--overhead '%s'", path);
    CHECK_EQ_INT(run_analysis(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "--overhead needs a run database");
    remove_db(path);
}

CHECK_MAIN(TEST(csv_rows_match_hand_values), TEST(table_statistics_match_hand_values),
           TEST(killed_run_is_analysed_with_warning), TEST(unusable_inputs_exit_2),
           TEST(late_ba_counts_at_first_data), TEST(campaign_rekeys_csv_matches_hand_values),
           TEST(campaign_rekeys_window_moves_rekey), TEST(campaign_rekeys_table),
           TEST(campaign_rekeys_unusable_inputs))
