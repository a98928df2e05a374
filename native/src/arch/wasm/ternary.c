// arch/wasm/ternary.c — the SIMD128 ternary kernels (I2_S, TQ1_0/TQ2_0) of the SIMD128 set (arch/wasm/simd.c);
// compiled to nothing outside a -msimd128 build.
//
// I2_S/TQ decode design: codes sit in the lane layout (kernels-internal.h), 8 codes per u16 lane,
// activations are pre-widened to int16 once per matmul. For one token, field k of a 16-byte chunk
// is taken with a single `and` against 3 << 2k, i.e. as code * 4^k, and fed to i32x4.dot_i16x8_s
// with the 8 activations it belongs to; each k has its own accumulator, and the 4^k factors are
// shifted out (exactly: every lane is a multiple of 4^k) when the accumulators are folded every
// 64 chunks. Field 7 is a plain `shr_u 14`. That is 3 instructions per 8 weights (and, dot, add)
// against ~6 for shift+mask+widen designs. Prefill (several tokens) extracts true codes once per
// chunk and reuses them for up to 4 tokens.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "../../kernels-internal.h"
#include "simd-util.h"

#define DOT(c, p) wasm_i32x4_dot_i16x8(c, wasm_v128_load(p))

// sum_k code[k] * a[k] over n_chunks chunks of 64 (one token), chunks `stride` bytes apart
static int32_t lane_dot_1(const uint8_t *codes, size_t stride, const int16_t *a, int n_chunks) {
    int32_t total = 0;
    const v128_t m0 = wasm_i16x8_splat(3), m1 = wasm_i16x8_splat(3 << 2), m2 = wasm_i16x8_splat(3 << 4),
                 m3 = wasm_i16x8_splat(3 << 6), m4 = wasm_i16x8_splat(3 << 8), m5 = wasm_i16x8_splat(3 << 10),
                 m6 = wasm_i16x8_splat(3 << 12);
    for (int c0 = 0; c0 < n_chunks; c0 += 64) {
        const int c1 = c0 + 64 < n_chunks ? c0 + 64 : n_chunks;  // |lane| < 2^27 per accumulator
        v128_t s0 = wasm_i32x4_splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0;
        for (int c = c0; c < c1; c++) {
            const v128_t v = wasm_v128_load(codes + stride * c);
            const int16_t *x = a + 64 * c;
            s0 = wasm_i32x4_add(s0, DOT(wasm_v128_and(v, m0), x));
            s1 = wasm_i32x4_add(s1, DOT(wasm_v128_and(v, m1), x + 8));
            s2 = wasm_i32x4_add(s2, DOT(wasm_v128_and(v, m2), x + 16));
            s3 = wasm_i32x4_add(s3, DOT(wasm_v128_and(v, m3), x + 24));
            s4 = wasm_i32x4_add(s4, DOT(wasm_v128_and(v, m4), x + 32));
            s5 = wasm_i32x4_add(s5, DOT(wasm_v128_and(v, m5), x + 40));
            s6 = wasm_i32x4_add(s6, DOT(wasm_v128_and(v, m6), x + 48));
            s0 = wasm_i32x4_add(s0, DOT(wasm_u16x8_shr(v, 14), x + 56));
        }
        s0 = wasm_i32x4_add(s0, wasm_i32x4_shr(s1, 2));
        s2 = wasm_i32x4_add(wasm_i32x4_shr(s2, 4), wasm_i32x4_shr(s3, 6));
        s4 = wasm_i32x4_add(wasm_i32x4_shr(s4, 8), wasm_i32x4_shr(s5, 10));
        s0 = wasm_i32x4_add(wasm_i32x4_add(s0, s2), wasm_i32x4_add(s4, wasm_i32x4_shr(s6, 12)));
        total += hsum_i32x4(s0);
    }
    return total;
}

// the same for nt <= 4 tokens sharing each weight load: out[t] = sum code * a[t]
static void lane_dot_n(int32_t *out, const uint8_t *codes, size_t stride, const int16_t *const *a, int nt, int n_chunks) {
    const v128_t m = wasm_i16x8_splat(3);
    v128_t acc[4] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0)};
    for (int c = 0; c < n_chunks; c++) {
        const v128_t v = wasm_v128_load(codes + stride * c);
        const v128_t c0 = wasm_v128_and(v, m), c1 = wasm_v128_and(wasm_u16x8_shr(v, 2), m),
                     c2 = wasm_v128_and(wasm_u16x8_shr(v, 4), m), c3 = wasm_v128_and(wasm_u16x8_shr(v, 6), m),
                     c4 = wasm_v128_and(wasm_u16x8_shr(v, 8), m), c5 = wasm_v128_and(wasm_u16x8_shr(v, 10), m),
                     c6 = wasm_v128_and(wasm_u16x8_shr(v, 12), m), c7 = wasm_u16x8_shr(v, 14);
        for (int t = 0; t < nt; t++) {
            const int16_t *x = a[t] + 64 * c;
            const v128_t p01 = wasm_i32x4_add(DOT(c0, x), DOT(c1, x + 8));
            const v128_t p23 = wasm_i32x4_add(DOT(c2, x + 16), DOT(c3, x + 24));
            const v128_t p45 = wasm_i32x4_add(DOT(c4, x + 32), DOT(c5, x + 40));
            const v128_t p67 = wasm_i32x4_add(DOT(c6, x + 48), DOT(c7, x + 56));
            acc[t] = wasm_i32x4_add(acc[t], wasm_i32x4_add(wasm_i32x4_add(p01, p23), wasm_i32x4_add(p45, p67)));
        }
    }
    for (int t = 0; t < nt; t++) out[t] = hsum_i32x4(acc[t]);
}

enum { ROW_TILE = 8 };  // prefill: rows whose weights stay in L1 while all token groups pass

void bn_i2s_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, n_chunks = cols / BN_LANE_CHUNK;
    const size_t arb = bn_act_row_bytes(BN_TYPE_I2_S, cols);
    const uint8_t *wd = w->data;
    if (n_tokens == 1) {
        const bn_act_i8 *h = act;
        const int16_t *q16 = (const int16_t *)((const int8_t *)(h + 1) + cols);
        for (int r = r0; r < r1; r++) y[r] = (float)(lane_dot_1(bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, q16, n_chunks) - h->sum) / h->s * w->scale;
        return;
    }
    for (int rt = r0; rt < r1; rt += ROW_TILE) {
        const int rt1 = rt + ROW_TILE < r1 ? rt + ROW_TILE : r1;
        for (int t0 = 0; t0 < n_tokens; t0 += 4) {
            const int nt = n_tokens - t0 < 4 ? n_tokens - t0 : 4;
            const bn_act_i8 *h[4];
            const int16_t *a[4];
            for (int t = 0; t < nt; t++) {
                h[t] = (const bn_act_i8 *)((const uint8_t *)act + arb * (t0 + t));
                a[t] = (const int16_t *)((const int8_t *)(h[t] + 1) + cols);
            }
            for (int r = rt; r < rt1; r++) {
                int32_t s[4];
                lane_dot_n(s, bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, a, nt, n_chunks);
                for (int t = 0; t < nt; t++) y[(size_t)(t0 + t) * rows + r] = (float)(s[t] - h[t]->sum) / h[t]->s * w->scale;
            }
        }
    }
}

void bn_tq_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K;
    const size_t arb = bn_act_row_bytes(w->type, cols);
    const uint8_t *wd = w->data;
    const float *dw = bn_tq_scales(wd, rows, cols);
    for (int t = 0; t < n_tokens; t++) {
        const block_q8_K *b = (const block_q8_K *)((const uint8_t *)act + arb * t);
        const int16_t *q16 = (const int16_t *)(b + nb);
        const int32_t *qsum = (const int32_t *)(q16 + cols);
        for (int r = r0; r < r1; r++) {
            const uint8_t *codes = bn_i2s_row(wd, cols, r);
            float sumf = 0.0f;
            for (int k = 0; k < nb; k++) {
                const int32_t sumi = lane_dot_1(codes + (size_t)BN_I2S_STRIDE * 4 * k, BN_I2S_STRIDE, q16 + QK_K * k, QK_K / BN_LANE_CHUNK) - qsum[k];
                sumf += (float)sumi * (b[k].d * dw[(size_t)r * nb + k]);
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

#endif  // __wasm_simd128__
