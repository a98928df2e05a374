// arch/wasm/simd.c — the SIMD128 kernel set (compiled to nothing outside a -msimd128 build).
//
// The ternary kernels (I2_S, TQ) live in arch/wasm/ternary.c; this file holds the F16/F32/Q8_0 kernels,
// the f16 helpers of attention, and the dispatch tables.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "../../kernels-internal.h"
#include "simd-util.h"

#define DOT(c, p) wasm_i32x4_dot_i16x8(c, wasm_v128_load(p))

// 4 f16 at p -> f32x4, value for value as bn_fp16_to_fp32 (bit trick; inf/NaN get the all-ones exponent)
static inline v128_t f16x4_to_f32x4(const void *p) {
    const v128_t h = wasm_i32x4_load16x4(p);  // sign-extended
    const v128_t bits = wasm_v128_and(wasm_i32x4_shl(h, 13), wasm_i32x4_splat((int32_t)0x8FFFE000u));
    const v128_t special = wasm_i32x4_eq(wasm_v128_and(h, wasm_i32x4_splat(0x7c00)), wasm_i32x4_splat(0x7c00));
    return wasm_f32x4_mul(wasm_v128_or(bits, wasm_v128_and(special, wasm_i32x4_splat(0x7f800000))), wasm_f32x4_splat(0x1p112f));
}

// Q8_0 (packed 4-row interleaved, kernels-internal.h) against the Q8_0 activation layout. Per group
// block the 4 rows' int32 block sums come from load8x8_s (load + sign-extend) against the int16
// activations and i32x4.dot; every output accumulates (float)sumi * (d_w * d_a) block after block in
// the reference's order and rounding, so y is bit-identical to bn_matmul_q8_0_ref.

typedef struct {
    const int16_t *x;  // int16 quants (cols)
    const float *d;    // f32 block scales (cols / 32)
} q8_act;

static inline q8_act q8_act_row(const void *act, size_t arb, int nb, int t) {
    const uint8_t *row = (const uint8_t *)act + arb * t;
    const int16_t *x = (const int16_t *)(row + bn_align4((size_t)nb * sizeof(block_q8_0)));
    return (q8_act){x, (const float *)(x + (size_t)nb * QK8_0)};
}

#define Q8_ROWDOT(q, x0, x1, x2, x3)                                                                                    \
    wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q), x0), wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8((q) + 8), x1)), \
                   wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8((q) + 16), x2), wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8((q) + 24), x3)))

// store the 4 outputs of group row r0g.. that fall inside [r0, r1)
static inline void store_group(float *y, int rg, int r0, int r1, v128_t v) {
    if (rg >= r0 && rg + 4 <= r1) {
        wasm_v128_store(y + rg, v);
    } else {  // a group cut by the range (the padded last group)
        float f[4];
        wasm_v128_store(f, v);
        for (int i = 0; i < 4; i++)
            if (rg + i >= r0 && rg + i < r1) y[rg + i] = f[i];
    }
}

// V8 turns a wasm load with a constant offset into a load from (memory base + offset), and hoists
// that sum out of the loop: one register per distinct offset, so an unrolled kernel with 16 offsets
// spills. OPAQUE hides a pointer from LLVM so each load gets offset 0 from a bumped pointer instead.
#define OPAQUE(p) __asm__("" : "+r"(p))
// V8 also issues all the loads of a loop body before the arithmetic (loads are ordered, pure ops
// float down to their use), which spills the loaded vectors. A volatile store of a row's result (to
// a local: per thread, no shared cache line) makes the next row's loads wait for it.
#define ORDER(v) (order_sink = (v))
// one token: lanes = the group's 4 rows
static void q8_0_simd_1(float *y, const bn_weight *w, q8_act a, int r0, int r1) {
    const int nb = w->cols / QK8_0;
    volatile v128_t order_sink;
    for (int g = r0 / 4; 4 * g < r1; g++) {
        const int8_t *q = (const int8_t *)bn_q8_0_group_block(w->data, nb, 4 * g, 0);
        const int16_t *xb = a.x;
        const float *da = a.d;
        v128_t acc = wasm_f32x4_splat(0.0f);
        for (int b = 0; b < nb; b++, q += BN_Q8_0_GROUP_BYTES, xb += QK8_0, da++) {
            OPAQUE(q);
            OPAQUE(xb);
            const v128_t x0 = wasm_v128_load(xb), x1 = wasm_v128_load(xb + 8), x2 = wasm_v128_load(xb + 16), x3 = wasm_v128_load(xb + 24);
            v128_t s[4];
            for (int i = 0; i < 4; i++) {
                const int8_t *qi = q + 8 + QK8_0 * i;
                OPAQUE(qi);
                s[i] = Q8_ROWDOT(qi, x0, x1, x2, x3);
                ORDER(s[i]);
            }
            const v128_t d = wasm_f32x4_mul(f16x4_to_f32x4(q), wasm_v128_load32_splat(da));
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hsum4_i32x4(s[0], s[1], s[2], s[3])), d));
        }
        store_group(y, 4 * g, r0, r1, acc);
    }
}

// four tokens (t[0..3], repeats allowed; outputs of the first n are stored): each weight load serves
// all four; lanes = tokens, one accumulator per row of the group
static void q8_0_simd_4(float *y, int rows, const bn_weight *w, const q8_act *t, int n, int r0, int r1) {
    const int nb = w->cols / QK8_0;
    for (int g = r0 / 4; 4 * g < r1; g++) {
        const int8_t *gb = (const int8_t *)bn_q8_0_group_block(w->data, nb, 4 * g, 0);
        v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++, gb += BN_Q8_0_GROUP_BYTES) {
            const v128_t da = wasm_f32x4_make(t[0].d[b], t[1].d[b], t[2].d[b], t[3].d[b]);
            const v128_t dw = f16x4_to_f32x4(gb);
            const int16_t *x0 = t[0].x + QK8_0 * b, *x1 = t[1].x + QK8_0 * b, *x2 = t[2].x + QK8_0 * b, *x3 = t[3].x + QK8_0 * b;
            v128_t s[4];
            for (int i = 0; i < 4; i++) {
                const int8_t *q = gb + 8 + QK8_0 * i;
                const v128_t w0 = wasm_i16x8_load8x8(q), w1 = wasm_i16x8_load8x8(q + 8), w2 = wasm_i16x8_load8x8(q + 16), w3 = wasm_i16x8_load8x8(q + 24);
#define TOK(x) wasm_i32x4_add(wasm_i32x4_add(DOT(w0, x), DOT(w1, (x) + 8)), wasm_i32x4_add(DOT(w2, (x) + 16), DOT(w3, (x) + 24)))
                s[i] = hsum4_i32x4(TOK(x0), TOK(x1), TOK(x2), TOK(x3));
#undef TOK
            }
            acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[0]), wasm_f32x4_mul(wasm_i32x4_shuffle(dw, dw, 0, 0, 0, 0), da)));
            acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[1]), wasm_f32x4_mul(wasm_i32x4_shuffle(dw, dw, 1, 1, 1, 1), da)));
            acc2 = wasm_f32x4_add(acc2, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[2]), wasm_f32x4_mul(wasm_i32x4_shuffle(dw, dw, 2, 2, 2, 2), da)));
            acc3 = wasm_f32x4_add(acc3, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[3]), wasm_f32x4_mul(wasm_i32x4_shuffle(dw, dw, 3, 3, 3, 3), da)));
        }
        // lanes are tokens: transpose back to rows
        const v128_t lo01 = wasm_i32x4_shuffle(acc0, acc1, 0, 4, 1, 5), hi01 = wasm_i32x4_shuffle(acc0, acc1, 2, 6, 3, 7);
        const v128_t lo23 = wasm_i32x4_shuffle(acc2, acc3, 0, 4, 1, 5), hi23 = wasm_i32x4_shuffle(acc2, acc3, 2, 6, 3, 7);
        const v128_t out[4] = {wasm_i64x2_shuffle(lo01, lo23, 0, 2), wasm_i64x2_shuffle(lo01, lo23, 1, 3),
                               wasm_i64x2_shuffle(hi01, hi23, 0, 2), wasm_i64x2_shuffle(hi01, hi23, 1, 3)};
        for (int k = 0; k < n; k++) store_group(y + (size_t)k * rows, 4 * g, r0, r1, out[k]);
    }
}

static void q8_0_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int nb = w->cols / QK8_0, rows = w->rows;
    const size_t arb = bn_act_row_bytes(BN_TYPE_Q8_0, w->cols);
    int t = 0;
    for (; n_tokens - t >= 2; t += 4) {  // 2..4 tokens share the weight loads
        const int n = n_tokens - t < 4 ? n_tokens - t : 4;
        q8_act a[4];
        for (int k = 0; k < 4; k++) a[k] = q8_act_row(act, arb, nb, t + (k < n ? k : n - 1));
        q8_0_simd_4(y + (size_t)t * rows, rows, w, a, n, r0, r1);
    }
    if (t < n_tokens) q8_0_simd_1(y + (size_t)t * rows, w, q8_act_row(act, arb, nb, t), r0, r1);
}

#include "f16-head.h"

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
    .bench_dot = bn_bench_dot_simd,
};

#if defined(BN_RELAXED_SIMD)
const bn_kernel_set bn_kernels_relaxed = {
    .name = "relaxed-simd",
    .i2s = bn_i2s_relaxed,
    .tq = bn_tq_relaxed,
    .q8_0 = q8_0_simd,
    .f16 = bn_f16_relaxed,
    .f32 = f32_simd,
    .dot_f16_xs = dot_f16_xs_simd,
    .axpy_f16 = axpy_f16_simd,
    .attend = bn_attend_relaxed,
    .bench_dot = bn_bench_dot_relaxed,
};
#endif

#endif  // __wasm_simd128__
