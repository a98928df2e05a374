// arch/wasm/attention.c — the SIMD128 set's attention (arch/wasm/attention.h).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "attention.h"

void bn_attend_simd(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                    float scale, void *scratch) {
    attend_blocks(&bn_kernels_simd128, out, q, nh, k, v, kv_row, n_kv, hd, scale, scratch);
}
#endif  // __wasm_simd128__
