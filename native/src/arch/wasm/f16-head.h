// arch/wasm/f16-head.h — the SIMD128 F16 matrix kernels (the tied F16 output head) and the f16 dot of
// attention, as static functions for the file that includes it: arch/wasm/simd.c (the SIMD128 set) and
// arch/wasm-relaxed/f16.c, which defines F16_MADD as f32x4.relaxed_madd first. Every product here is
// exact (f16-exact activations x 2^100 times weights decoded x 2^-112), so a fused multiply-add rounds
// exactly like the separate multiply and add: both instantiations give bit-identical results, the
// relaxed one with one instruction less per 4 weights.
#ifndef BN_WASM_F16_HEAD_H
#define BN_WASM_F16_HEAD_H
#include <wasm_simd128.h>
#include "../../kernels-internal.h"
#include "simd-util.h"

#ifndef F16_MADD
#define F16_MADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

// f16 bits -> f32 bits of (value * 2^-112): sign-extend, shift, keep sign + 15 value bits
static inline v128_t f16_lo_scaled(v128_t h, v128_t mask) { return wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_extend_low_i16x8(h), 13), mask); }
static inline v128_t f16_hi_scaled(v128_t h, v128_t mask) { return wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_extend_high_i16x8(h), 13), mask); }

// s plus the scaled products of n halves wc[k] and xs[k], one by one (the scalar tails: the last cols % 8
// columns of a packed row, or of a contiguous vector)
static inline float f16_tail(float s, const bn_fp16 *wc, const float *xs, int n) {
    for (int k = 0; k < n; k++) {
        const uint32_t u = ((uint32_t)(wc[k] & 0x8000) << 16) | ((uint32_t)(wc[k] & 0x7fff) << 13);
        float f;
        memcpy(&f, &u, 4);
        s += f * xs[k];
    }
    return s;
}

// contiguous f16 vector . xs (attention's K rows; the kernel set's dot_f16_xs)
static inline float dot_f16_xs_simd(const bn_fp16 *w, const float *xs, int n) {
    const v128_t mask = wasm_i32x4_splat((int32_t)0x8FFFE000u);
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int k = 0;
    for (; k + 16 <= n; k += 16) {
        const v128_t h0 = wasm_v128_load(w + k), h1 = wasm_v128_load(w + k + 8);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(f16_lo_scaled(h0, mask), wasm_v128_load(xs + k)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(f16_hi_scaled(h0, mask), wasm_v128_load(xs + k + 4)));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(f16_lo_scaled(h1, mask), wasm_v128_load(xs + k + 8)));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(f16_hi_scaled(h1, mask), wasm_v128_load(xs + k + 12)));
    }
    a0 = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
    float sum = (wasm_f32x4_extract_lane(a0, 0) + wasm_f32x4_extract_lane(a0, 1)) +
                (wasm_f32x4_extract_lane(a0, 2) + wasm_f32x4_extract_lane(a0, 3));
    return f16_tail(sum, w + k, xs + k, n - k) * BN_F16_UNSCALE;  // tail: the same exact scaled products
}

// F16 rows in the packed 4-row interleaved layout (kernels-internal.h): one 64-byte line = the same 8
// columns of 4 rows, so the 4-row kernel reads one sequential stream. load16x4_s loads and sign-extends
// 4 halves at once (then shift + mask: the 2^-112-scaled bit trick). Products exact as in
// dot_f16_xs_simd; one f32x4 accumulator per row, then one transpose-add gives the 4 sums.
#define F16DEC(p) wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_load16x4(p), 13), mask)
// The one-token kernel loads 8 halves at once instead, as 4 i32 lanes (lane k: half 2k in the low 16 bits,
// half 2k + 1 in the high 16), and decodes the even and the odd halves apart: an arithmetic shift by 3 puts
// a half's sign at bit 31 (smeared over 28..31) and its 15 value bits at 13..27, which the mask keeps: the
// same (value * 2^-112) as F16DEC. The activations of each chunk of 8 are reordered once per call to match
// (f16_even_odd). One 16-byte load per 8 halves instead of two sign-extending 8-byte ones, over the 2B-4T
// head (656 MB from DRAM): 3% faster in a microbenchmark (21 alternating rounds, 8.27 against 8.03 GB/s);
// in the engine, two builds in one process taking turns, 2-9% less time (relaxed), 3% (SIMD128).
#define F16_EVEN(v) wasm_v128_and(wasm_i32x4_shr(wasm_i32x4_shl(v, 16), 3), mask)
#define F16_ODD(v) wasm_v128_and(wasm_i32x4_shr(v, 3), mask)

// xs[0, kt) (kt % 8 == 0) -> xp: per chunk of 8, the even columns, then the odd ones
static inline void f16_even_odd(float *xp, const float *xs, int kt) {
    for (int k = 0; k < kt; k += 8) {
        const v128_t a = wasm_v128_load(xs + k), b = wasm_v128_load(xs + k + 4);
        wasm_v128_store(xp + k, wasm_i32x4_shuffle(a, b, 0, 2, 4, 6));
        wasm_v128_store(xp + k + 4, wasm_i32x4_shuffle(a, b, 1, 3, 5, 7));
    }
}

// 2..4 tokens (xs[0..3], repeats allowed; the first n are stored): each row is decoded once for all
// of them (row by row: a group's 4 rows share their cache lines); one accumulator per token, lanes of
// the final transpose-add = tokens
static void f16_simd_tokens(float *y, const bn_weight *w, const float *const xs[4], int n, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nc = cols / BN_F16_CHUNK, kt = nc * BN_F16_CHUNK;
    const v128_t mask = wasm_i32x4_splat((int32_t)0x8FFFE000u);
    for (int r = r0; r < r1; r++) {
        const bn_fp16 *wr = bn_f16_row(w->data, cols, r);
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < nc; c++) {
            const bn_fp16 *wc = wr + (size_t)BN_F16_STRIDE * c;
            const int k = BN_F16_CHUNK * c;
            const v128_t lo = F16DEC(wc), hi = F16DEC(wc + 4);
#define F16TOK(a, x) a = F16_MADD(F16_MADD(a, lo, wasm_v128_load((x) + k)), hi, wasm_v128_load((x) + k + 4))
            F16TOK(a0, xs[0]);
            F16TOK(a1, xs[1]);
            F16TOK(a2, xs[2]);
            F16TOK(a3, xs[3]);
#undef F16TOK
        }
        float s[4];
        wasm_v128_store(s, hsum4_f32x4(a0, a1, a2, a3));
        if (kt < cols)
            for (int t = 0; t < 4; t++) s[t] += f16_tail(0.0f, wr + (size_t)BN_F16_STRIDE * nc, xs[t] + kt, cols - kt);
        for (int t = 0; t < n; t++) y[(size_t)t * rows + r] = s[t] * BN_F16_UNSCALE;
    }
}

static void f16_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nc = cols / BN_F16_CHUNK, kt = nc * BN_F16_CHUNK;
    const size_t arb = bn_act_row_bytes(BN_TYPE_F16, cols);
    const v128_t mask = wasm_i32x4_splat((int32_t)0x8FFFE000u);
    int t0 = 0;
    for (; n_tokens - t0 >= 2; t0 += 4) {  // 2..4 tokens share each decoded row
        const int n = n_tokens - t0 < 4 ? n_tokens - t0 : 4;
        const float *xs[4];
        for (int i = 0; i < 4; i++) xs[i] = (const float *)((const uint8_t *)act + arb * (t0 + (i < n ? i : n - 1)) + bn_align4((size_t)2 * cols));
        f16_simd_tokens(y + (size_t)t0 * rows, w, xs, n, r0, r1);
    }
    // one token: whole 4-row groups, one stream; a group only partly inside [r0, r1) is computed whole
    // (its other rows are real or zero padding rows, all in the packed bytes) and only its rows inside stored
    for (int t = t0; t < n_tokens; t++) {
        const float *xs = (const float *)((const uint8_t *)act + arb * t + bn_align4((size_t)2 * cols));
        float xp[kt > 0 ? kt : 1] __attribute__((aligned(16)));
        f16_even_odd(xp, xs, kt);
        float *yt = y + (size_t)t * rows;
        for (int g = r0 & ~(BN_F16_ROWS - 1); g < r1; g += BN_F16_ROWS) {
            const bn_fp16 *wg = bn_f16_row(w->data, cols, g);
            v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < nc; c++, wg += BN_F16_STRIDE) {
                const v128_t xe = wasm_v128_load(xp + BN_F16_CHUNK * c), xo = wasm_v128_load(xp + BN_F16_CHUNK * c + 4);
#define F16ROW(a, i)                                                   \
    do {                                                               \
        const v128_t v = wasm_v128_load(wg + 8 * (i));                 \
        a = F16_MADD(F16_MADD(a, F16_EVEN(v), xe), F16_ODD(v), xo);    \
    } while (0)
                F16ROW(a0, 0);
                F16ROW(a1, 1);
                F16ROW(a2, 2);
                F16ROW(a3, 3);
#undef F16ROW
            }
            float s[4];
            wasm_v128_store(s, hsum4_f32x4(a0, a1, a2, a3));
            if (kt < cols)
                for (int i = 0; i < 4; i++) s[i] += f16_tail(0.0f, wg + 8 * i, xs + kt, cols - kt);
            const int i0 = r0 > g ? r0 - g : 0, i1 = r1 - g < 4 ? r1 - g : 4;
            for (int i = i0; i < i1; i++) yt[g + i] = s[i] * BN_F16_UNSCALE;
        }
    }
}
#undef F16DEC
#undef F16_EVEN
#undef F16_ODD

#endif  // BN_WASM_F16_HEAD_H
