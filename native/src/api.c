// api.c — small exports that describe the module itself: ABI version and compiled-in features.
// The TS loader checks the ABI version against the one it was written for.
#define _DEFAULT_SOURCE  // sbrk() under -std=c11
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
#if defined(__wasm_relaxed_simd__) || defined(BN_RELAXED_SIMD)  // the -rx flavours link a relaxed-SIMD kernel object
    f |= BN_FEATURE_RELAXED_SIMD;
#endif
    return f;
}

// Trivial arithmetic export: proves the C -> wasm -> TS chain end to end in the first test.
BN_API int bn_add_i32(int a, int b) { return a + b; }

// Bytes of WebAssembly memory in use: everything below the program break (static data, stack, heap)
// minus what malloc holds free. Memory never shrinks, so after a model is disposed its arena is free
// again; the runtime's memory plan counts this, not the memory size, as already taken.
#if defined(__EMSCRIPTEN__) || defined(__GLIBC__)
#include <malloc.h>
#include <unistd.h>
BN_API double bn_heap_used_bytes(void) {
    struct mallinfo mi = mallinfo();
    double brk = (double)(uintptr_t)sbrk(0);
    return brk - (double)(unsigned)mi.fordblks;
}
#else
BN_API double bn_heap_used_bytes(void) { return -1; }
#endif
