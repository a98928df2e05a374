// arch/wasm/simd.c — the SIMD128 kernel set (compiled to nothing outside a -msimd128 build).
//
// The ternary kernels (I2_S, TQ) live in arch/wasm/ternary.c; this file holds the F16/F32/Q8_0 kernels,
// the f16 helpers of attention, and the dispatch tables.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "../../kernels-internal.h"
#include "simd-util.h"

#define DOT(c, p) wasm_i32x4_dot_i16x8(c, wasm_v128_load(p))

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
    .i2s = bn_i2s_simd,
    .tq = bn_tq_simd,
    .q8_0 = q8_0_simd,
    .f16 = f16_simd,
    .f32 = f32_simd,
    .dot_f16_xs = dot_f16_xs_simd,
    .axpy_f16 = axpy_f16_simd,
    .attend = bn_attend_simd,
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
    .attend = bn_attend_simd,
};
#endif

#endif  // __wasm_simd128__
