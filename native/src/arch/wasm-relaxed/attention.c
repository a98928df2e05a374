// arch/wasm-relaxed/attention.c — the attention of the `-rx` flavours: arch/wasm/attention.h with
// f32x4.relaxed_madd for its multiply-adds (x64 with FMA: one vfmadd instead of a multiply and an add).
// Bit-identical to the SIMD128 set (exact products, see the header). Compiled to nothing unless the
// compiler targets relaxed SIMD (build-wasm.sh: clang-19).
#if defined(__wasm_relaxed_simd__)
#include <wasm_simd128.h>
#define ATT_MADD(acc, a, b) wasm_f32x4_relaxed_madd(a, b, acc)
#include "../wasm/attention.h"

void bn_attend_relaxed(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                       float scale, void *scratch) {
    attend_blocks(&bn_kernels_simd128, out, q, nh, k, v, kv_row, n_kv, hd, scale, scratch);
}
#endif  // __wasm_relaxed_simd__
