/*
 * ns2_trace.h - a strict check of ns-2 mobility traces (BonnMotion's ns-2
 * output) before ns-3's Ns2MobilityHelper reads them.
 *
 * Ns2MobilityHelper (ns-3.37) skips every line it cannot read and logs
 * it only when its log component is enabled.  A typo or a value out of
 * range then gives a run in which the node silently stays put.  This
 * parser accepts the three forms the helper reads and rejects any other
 * line that names a node, with its line number:
 *
 *   $node_(N) set X_|Y_|Z_ V
 *   $ns_ at T "$node_(N) set X_|Y_|Z_ V"
 *   $ns_ at T "$node_(N) setdest X Y SPEED"
 *
 * '#' starts a comment, and blanks and a ';' at the end of a line do not
 * matter.  Tokens are separated by white space, a carriage return
 * included, as the helper reads them.  Lines that name no node (such as
 * "$god_ set-dist 0 1 2" from ns-2's setdest) are skipped, as the helper
 * skips them.
 */
#ifndef MIP6SEC_SCENARIOS_NS2_TRACE_H
#define MIP6SEC_SCENARIOS_NS2_TRACE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Limits that keep every event time inside ns-3's Time, which counts
 * nanoseconds in 64 bits (about 9.2e9 s).  With them, the arrival time of
 * a setdest is below T + sqrt(2) * 2e6 m / 1e-3 m/s, about 3.9e9 s.
 */
#define NS2_TRACE_MAX_TIME_S 1e9
#define NS2_TRACE_MAX_COORDINATE_M 1e6
#define NS2_TRACE_MIN_SPEED_M_S 1e-3 /* or exactly 0, which stops the node */
#define NS2_TRACE_MAX_SPEED_M_S 1e6
#define NS2_TRACE_MAX_NODE 2147483647u /* the helper reads node numbers as int */

enum ns2_trace_status {
    NS2_TRACE_OK,
    NS2_TRACE_INVALID,  /* a line is invalid; err names the file, line and value */
    NS2_TRACE_NO_ENTRY, /* valid, but nothing for the node that the caller needs */
    NS2_TRACE_IO_ERROR, /* the file could not be read */
    NS2_TRACE_NO_MEMORY,
};

enum ns2_movement_kind {
    NS2_SET,     /* $node_(N) set X_ V: the position before the run */
    NS2_SET_AT,  /* $ns_ at T "$node_(N) set X_ V" */
    NS2_SETDEST, /* $ns_ at T "$node_(N) setdest X Y SPEED" */
};

/* One line that the helper reads. */
struct ns2_movement {
    size_t line; /* from 1 */
    enum ns2_movement_kind kind;
    uint32_t node;
    double time_s;    /* 0 for NS2_SET */
    char coordinate;  /* 'X', 'Y' or 'Z' for NS2_SET and NS2_SET_AT */
    double value_m;   /* the coordinate's value */
    double x_m, y_m;  /* NS2_SETDEST: the destination */
    double speed_m_s; /* NS2_SETDEST */
};

/*
 * Parse len bytes of trace text; path names the file in messages.  visit,
 * when not NULL, gets every movement in file order.  On NS2_TRACE_INVALID
 * err contains one line, "PATH:LINE: ...", with the value and the fix.
 */
enum ns2_trace_status ns2_trace_parse(const char *text, size_t len, const char *path,
                                      void (*visit)(void *ctx, const struct ns2_movement *m),
                                      void *ctx, char *err, size_t err_size);

/*
 * Read and parse the file at path, as ns2_trace_parse does, and check
 * that it moves $node_(node): NS2_TRACE_NO_ENTRY when no line names it.
 */
enum ns2_trace_status ns2_trace_check_file(const char *path, uint32_t node, char *err,
                                           size_t err_size);

#endif
