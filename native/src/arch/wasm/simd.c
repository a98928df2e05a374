// arch/wasm/simd.c — the SIMD128 kernel set (compiled to nothing outside a -msimd128 build).
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

static inline int32_t hsum_i32x4(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

#define DOT(c, p) wasm_i32x4_dot_i16x8(c, wasm_v128_load(p))

// sum_k code[k] * a[k] over n_chunks chunks of 64 (one token)
static int32_t lane_dot_1(const uint8_t *codes, const int16_t *a, int n_chunks) {
    int32_t total = 0;
    const v128_t m0 = wasm_i16x8_splat(3), m1 = wasm_i16x8_splat(3 << 2), m2 = wasm_i16x8_splat(3 << 4),
                 m3 = wasm_i16x8_splat(3 << 6), m4 = wasm_i16x8_splat(3 << 8), m5 = wasm_i16x8_splat(3 << 10),
                 m6 = wasm_i16x8_splat(3 << 12);
    for (int c0 = 0; c0 < n_chunks; c0 += 64) {
        const int c1 = c0 + 64 < n_chunks ? c0 + 64 : n_chunks;  // |lane| < 2^27 per accumulator
        v128_t s0 = wasm_i32x4_splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0;
        for (int c = c0; c < c1; c++) {
            const v128_t v = wasm_v128_load(codes + 16 * c);
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
static void lane_dot_n(int32_t *out, const uint8_t *codes, const int16_t *const *a, int nt, int n_chunks) {
    const v128_t m = wasm_i16x8_splat(3);
    v128_t acc[4] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0)};
    for (int c = 0; c < n_chunks; c++) {
        const v128_t v = wasm_v128_load(codes + 16 * c);
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

static void i2s_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, n_chunks = cols / BN_LANE_CHUNK;
    const size_t arb = bn_act_row_bytes(BN_TYPE_I2_S, cols), wrb = (size_t)cols / 4;
    const uint8_t *wd = w->data;
    if (n_tokens == 1) {
        const bn_act_i8 *h = act;
        const int16_t *q16 = (const int16_t *)((const int8_t *)(h + 1) + cols);
        for (int r = r0; r < r1; r++) y[r] = (float)(lane_dot_1(wd + wrb * r, q16, n_chunks) - h->sum) / h->s * w->scale;
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
                lane_dot_n(s, wd + wrb * r, a, nt, n_chunks);
                for (int t = 0; t < nt; t++) y[(size_t)(t0 + t) * rows + r] = (float)(s[t] - h[t]->sum) / h[t]->s * w->scale;
            }
        }
    }
}

static void tq_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K;
    const size_t arb = bn_act_row_bytes(w->type, cols), wrb = (size_t)cols / 4;
    const uint8_t *wd = w->data;
    const float *dw = (const float *)(wd + (size_t)rows * wrb);
    for (int t = 0; t < n_tokens; t++) {
        const block_q8_K *b = (const block_q8_K *)((const uint8_t *)act + arb * t);
        const int16_t *q16 = (const int16_t *)(b + nb);
        const int32_t *qsum = (const int32_t *)(q16 + cols);
        for (int r = r0; r < r1; r++) {
            const uint8_t *codes = wd + wrb * r;
            float sumf = 0.0f;
            for (int k = 0; k < nb; k++) {
                const int32_t sumi = lane_dot_1(codes + 64 * k, q16 + QK_K * k, QK_K / BN_LANE_CHUNK) - qsum[k];
                sumf += (float)sumi * (b[k].d * dw[(size_t)r * nb + k]);
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

// scalar f16 -> f32 for block scales: bit trick for finite values, the reference for inf/NaN
static inline float fp16_scale(bn_fp16 h) {
    if ((h & 0x7c00) == 0x7c00) return bn_fp16_to_fp32(h);
    uint32_t u = ((uint32_t)(h & 0x8000) << 16) | ((uint32_t)(h & 0x7fff) << 13);
    float f;
    memcpy(&f, &u, 4);
    return f * 0x1p112f;
}

static void q8_0_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK8_0;
    const size_t arb = bn_act_row_bytes(BN_TYPE_Q8_0, cols);
    for (int t = 0; t < n_tokens; t++) {
        const block_q8_0 *a = (const block_q8_0 *)((const uint8_t *)act + arb * t);
        const int16_t *q16 = (const int16_t *)((const uint8_t *)a + bn_align4((size_t)nb * sizeof(block_q8_0)));
        for (int r = r0; r < r1; r++) {
            const block_q8_0 *wb = (const block_q8_0 *)w->data + (size_t)r * nb;
            float sumf = 0.0f;
            for (int k = 0; k < nb; k++) {
                const v128_t lo = wasm_v128_load(wb[k].qs), hi = wasm_v128_load(wb[k].qs + 16);
                const int16_t *x = q16 + 32 * k;
                const v128_t s = wasm_i32x4_add(
                    wasm_i32x4_add(DOT(wasm_i16x8_extend_low_i8x16(lo), x), DOT(wasm_i16x8_extend_high_i8x16(lo), x + 8)),
                    wasm_i32x4_add(DOT(wasm_i16x8_extend_low_i8x16(hi), x + 16), DOT(wasm_i16x8_extend_high_i8x16(hi), x + 24)));
                sumf += (float)hsum_i32x4(s) * (fp16_scale(wb[k].d) * fp16_scale(a[k].d));
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

// f16 bits -> f32 bits of (value * 2^-112): sign-extend, shift, keep sign + 15 value bits
static inline v128_t f16_lo_scaled(v128_t h, v128_t mask) { return wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_extend_low_i16x8(h), 13), mask); }
static inline v128_t f16_hi_scaled(v128_t h, v128_t mask) { return wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_extend_high_i16x8(h), 13), mask); }

static float dot_f16_xs_simd(const bn_fp16 *w, const float *xs, int n) {
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
    for (; k < n; k++) {  // tail, same exact scaled products
        uint32_t u = ((uint32_t)(w[k] & 0x8000) << 16) | ((uint32_t)(w[k] & 0x7fff) << 13);
        float f;
        memcpy(&f, &u, 4);
        sum += f * xs[k];
    }
    return sum * BN_F16_UNSCALE;
}

static void f16_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows;
    const size_t arb = bn_act_row_bytes(BN_TYPE_F16, cols);
    for (int t = 0; t < n_tokens; t++) {
        const float *xs = (const float *)((const uint8_t *)act + arb * t + bn_align4((size_t)2 * cols));
        for (int r = r0; r < r1; r++) y[(size_t)t * rows + r] = dot_f16_xs_simd((const bn_fp16 *)w->data + (size_t)r * cols, xs, cols);
    }
}

static void f32_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows;
    for (int t = 0; t < n_tokens; t++) {
        const float *x = (const float *)act + (size_t)t * cols;
        for (int r = r0; r < r1; r++) {
            const float *wr = (const float *)w->data + (size_t)r * cols;
            v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0;
            int k = 0;
            for (; k + 8 <= cols; k += 8) {
                a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(wr + k), wasm_v128_load(x + k)));
                a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(wr + k + 4), wasm_v128_load(x + k + 4)));
            }
            a0 = wasm_f32x4_add(a0, a1);
            float sum = (wasm_f32x4_extract_lane(a0, 0) + wasm_f32x4_extract_lane(a0, 1)) +
                        (wasm_f32x4_extract_lane(a0, 2) + wasm_f32x4_extract_lane(a0, 3));
            for (; k < cols; k++) sum += wr[k] * x[k];
            y[(size_t)t * rows + r] = sum;
        }
    }
}

// y += p * v: v decoded scaled by 2^-112, p pre-scaled by 2^112: products exact, as in the generic
static void axpy_f16_simd(float *y, float p, const bn_fp16 *v, int n) {
    const v128_t mask = wasm_i32x4_splat((int32_t)0x8FFFE000u);
    const v128_t ps = wasm_f32x4_splat(p * 0x1p112f);
    int d = 0;
    if (p * 0x1p112f == p * 0x1p112f && p < 0x1p15f) {  // p is a probability; keep the exactness argument valid
        for (; d + 8 <= n; d += 8) {
            const v128_t h = wasm_v128_load(v + d);
            wasm_v128_store(y + d, wasm_f32x4_add(wasm_v128_load(y + d), wasm_f32x4_mul(ps, f16_lo_scaled(h, mask))));
            wasm_v128_store(y + d + 4, wasm_f32x4_add(wasm_v128_load(y + d + 4), wasm_f32x4_mul(ps, f16_hi_scaled(h, mask))));
        }
    }
    for (; d < n; d++) y[d] += p * bn_fp16_to_fp32(v[d]);
}

const bn_kernel_set bn_kernels_simd128 = {
    .name = "simd128",
    .i2s = i2s_simd,
    .tq = tq_simd,
    .q8_0 = q8_0_simd,
    .f16 = f16_simd,
    .f32 = f32_simd,
    .dot_f16_xs = dot_f16_xs_simd,
    .axpy_f16 = axpy_f16_simd,
};

#if defined(BN_RELAXED_SIMD)
const bn_kernel_set bn_kernels_relaxed = {
    .name = "relaxed-simd",
    .i2s = bn_i2s_relaxed,
    .tq = bn_tq_relaxed,
    .q8_0 = q8_0_simd,
    .f16 = f16_simd,
    .f32 = f32_simd,
    .dot_f16_xs = dot_f16_xs_simd,
    .axpy_f16 = axpy_f16_simd,
};
#endif

#endif  // __wasm_simd128__
