// test-util.h — a minimal check/report harness shared by the native tests, plus a seeded PRNG.
#ifndef BN_TEST_UTIL_H
#define BN_TEST_UTIL_H
#include <stdint.h>
#include <stdio.h>

static int test_passed_ = 0, test_failed_ = 0;
#define TEST_CHECK(cond, ...)                                              \
    do {                                                                   \
        if (cond) {                                                        \
            test_passed_++;                                                \
        } else {                                                           \
            test_failed_++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

static inline int test_report(void) {
    printf("%d passed, %d failed\n", test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}

// xorshift64* — deterministic test data
static inline uint64_t test_rng_next(uint64_t *s) {
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}
static inline float test_rng_uniform(uint64_t *s) { return (float)((test_rng_next(s) >> 40) * (1.0 / 16777216.0)); }
#endif
