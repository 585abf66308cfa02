/*
 * check.h - the unit-test harness: a test is a function, a check is a
 * macro that reports file, line and the failed condition and lets the
 * test continue.  main() comes from CHECK_MAIN, which runs every test in
 * the table and ends with the "N passed, N failed" line that CI reads.
 */
#ifndef MIP6SEC_CHECK_H
#define MIP6SEC_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern int check_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(actual, expected)                                                             \
    do {                                                                                           \
        long long check_a_ = (long long)(actual), check_e_ = (long long)(expected);                \
        if (check_a_ != check_e_) {                                                                \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual,     \
                    check_a_, check_e_);                                                           \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_MEM(actual, expected, n)                                                          \
    do {                                                                                           \
        if (memcmp((actual), (expected), (n)) != 0) {                                              \
            fprintf(stderr, "%s:%d: %s differs from %s\n", __FILE__, __LINE__, #actual,            \
                    #expected);                                                                    \
            check_hexdiff((const unsigned char *)(actual), (const unsigned char *)(expected),      \
                          (n));                                                                    \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* Print both buffers around the first differing byte. */
static inline void
check_hexdiff(const unsigned char *a, const unsigned char *e, size_t n)
{
    size_t first = 0;
    while (first < n && a[first] == e[first])
        first++;
    size_t from = first >= 8 ? first - 8 : 0;
    size_t to = first + 8 < n ? first + 8 : n;
    fprintf(stderr, "  first difference at byte %zu\n  actual:  ", first);
    for (size_t i = from; i < to; i++)
        fprintf(stderr, "%02x ", a[i]);
    fprintf(stderr, "\n  expected:");
    for (size_t i = from; i < to; i++)
        fprintf(stderr, " %02x", e[i]);
    fprintf(stderr, "\n");
}

struct check_test {
    const char *name;
    void (*fn)(void);
};

/*
 * Define main() over a table of tests.  Each test runs once; the process
 * exits with 1 when any check failed.
 */
#define CHECK_MAIN(...)                                                                            \
    int check_failures;                                                                            \
    int main(void)                                                                                 \
    {                                                                                              \
        static const struct check_test tests[] = {__VA_ARGS__};                                    \
        int passed = 0, failed = 0;                                                                \
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {                              \
            int before = check_failures;                                                           \
            tests[i].fn();                                                                         \
            if (check_failures == before) {                                                        \
                passed++;                                                                          \
            } else {                                                                               \
                failed++;                                                                          \
                fprintf(stderr, "FAIL %s\n", tests[i].name);                                       \
            }                                                                                      \
        }                                                                                          \
        printf("%d passed, %d failed\n", passed, failed);                                          \
        return failed ? 1 : 0;                                                                     \
    }

#define TEST(fn)                                                                                   \
    {                                                                                              \
#fn, fn                                                                                    \
    }

#endif /* MIP6SEC_CHECK_H */
