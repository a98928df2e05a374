// arch/wasm-relaxed/f16.c — the F16 matrix kernel (tied output head) of the `-rx` flavours: the SIMD128
// kernel of arch/wasm/f16-head.h with f32x4.relaxed_madd for its multiply-adds (x64 with FMA: one
// vfmadd instead of a multiply and an add). Bit-identical to the SIMD128 set (exact products, see the
// header). Compiled to nothing unless the compiler targets relaxed SIMD (build-wasm.sh: clang-19).
#if defined(__wasm_relaxed_simd__)
#define F16_MADD(acc, a, b) wasm_f32x4_relaxed_madd(a, b, acc)
#include "../wasm/f16-head.h"

void bn_f16_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    f16_simd(y, w, act, n_tokens, r0, r1);
}
#endif  // __wasm_relaxed_simd__
