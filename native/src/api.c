// api.c — small exports that describe the module itself: ABI version and compiled-in features.
// The TS loader checks the ABI version against the one it was written for.
#include "bitnet-common.h"

enum {
    BN_FEATURE_SIMD128 = 1 << 0,
    BN_FEATURE_THREADS = 1 << 1,
    BN_FEATURE_RELAXED_SIMD = 1 << 2,
};

BN_API int bn_abi_version(void) { return BN_ABI_VERSION; }

BN_API int bn_features(void) {
    int f = 0;
#if defined(__wasm_simd128__)
    f |= BN_FEATURE_SIMD128;
#endif
#if defined(__EMSCRIPTEN_PTHREADS__)
    f |= BN_FEATURE_THREADS;
#endif
#if defined(__wasm_relaxed_simd__)
    f |= BN_FEATURE_RELAXED_SIMD;
#endif
    return f;
}

// Trivial arithmetic export: proves the C -> wasm -> TS chain end to end in the first test.
BN_API int bn_add_i32(int a, int b) { return a + b; }
