// arch/wasm/simd-util.h — small SIMD128 helpers shared by the wasm kernel files.
#ifndef BN_WASM_SIMD_UTIL_H
#define BN_WASM_SIMD_UTIL_H
#include <wasm_simd128.h>

// sum of the four i32 lanes
static inline int32_t hsum_i32x4(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

#endif  // BN_WASM_SIMD_UTIL_H
