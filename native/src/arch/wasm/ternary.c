// arch/wasm/ternary.c — the SIMD128 ternary kernels (I2_S, TQ1_0/TQ2_0) of the SIMD128 set (arch/wasm/simd.c);
// compiled to nothing outside a -msimd128 build.
//
// I2_S/TQ decode design: codes sit in the lane layout (kernels-internal.h), 8 codes per u16 lane,
// activations are pre-widened to int16 once per matmul. For one token, field k of a 16-byte chunk is
// taken with a single `and` against 3 << 2k (fields 4..7: the same 4 masks on v >> 8), i.e. as
// code * 4^(k % 4), and fed to i32x4.dot_i16x8_s with its 8 activations shifted left by 2(3 - k % 4)
// once per call (lane_prescale), so every product is code * a * 4^3 and one accumulator takes them all:
// 3 instructions per 8 weights (and, dot, add) plus one shift per chunk, with 4 masks. The 4 rows of an
// interleaved group are decoded together (lane_dot_rows4: one accumulator per row, each activation
// load shared, one sequential stream). Measured (2560x6912-class shapes, Node, 1 thread, in-process
// A/B): in cache 2.2 -> 3.5 GB/s; streaming 8 layers from DRAM 2.2 -> 4.1-4.6 GB/s; TQ2_0 1.5 -> 3.3 GB/s.
// The former version (7 masks, 8 accumulators, unrolled by clang) spilled a third of its vectors in
// V8 and read the 4 rows of a group in 4 passes. I2_S prefill (several tokens) expands a row group's codes
// to int16 once per group of 16 tokens and runs a 4-row x 2-token tile over them (lane_tile_4x2): in-process
// A/B, 128 tokens, 27 -> 33-35 GOPS against the former 1-row x 4-token kernel that extracted codes in
// registers. TQ prefill runs the same tile per 256-block (tq_prefill).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "../../kernels-internal.h"
#include "simd-util.h"

#define DOT(c, p) wasm_i32x4_dot_i16x8(c, wasm_v128_load(p))

// One-token activations for lane_dot_1: the int16 activations of field k shifted left by 2(3 - k % 4), so
// that field k's codes as lane_dot_1 masks them (code * 4^(k % 4)) times them are all code * a * 4^3.
// |a| <= 128, so |a| << 6 <= 8192 fits int16.
static void lane_prescale(int16_t *out, const int16_t *a, int n_chunks) {
    for (int c = 0; c < 8 * n_chunks; c++) wasm_v128_store(out + 8 * c, wasm_i16x8_shl(wasm_v128_load(a + 8 * c), 6 - 2 * (c % 4)));
}

// sum_k code[k] * a[k] over n_chunks chunks of 64 (one token), chunks `stride` bytes apart; as = the
// activations through lane_prescale. Fields 0..3 are v & (3 << 2k), fields 4..7 the same masks on
// v >> 8 (u16 shift), all at scale 4^3 with the prescaled activations: 4 masks and two accumulators
// (v's fields, v >> 8's fields), divided by 64 exactly at the end. Per chunk and lane an accumulator grows
// by at most 4 * 2 * 2 * 4^3 * 128 = 2^17: exact for rows of up to 2^13 chunks (524288 columns). Not unrolled: masks,
// accumulators, v, v >> 8 and the 8 activation vectors fit the registers (the former 8-accumulator,
// 7-mask version, unrolled by clang, spilled about a third of its vectors in V8).
static int32_t lane_dot_1(const uint8_t *codes, size_t stride, const int16_t *as, int n_chunks) {
    const v128_t m0 = wasm_i16x8_splat(3), m1 = wasm_i16x8_splat(3 << 2), m2 = wasm_i16x8_splat(3 << 4), m3 = wasm_i16x8_splat(3 << 6);
    v128_t lo = wasm_i32x4_splat(0), hi = lo;
#pragma clang loop unroll(disable)
    for (int c = 0; c < n_chunks; c++) {
        const v128_t v = wasm_v128_load(codes + stride * c), vh = wasm_u16x8_shr(v, 8);
        const int16_t *x = as + 64 * c;
        lo = wasm_i32x4_add(lo, DOT(wasm_v128_and(v, m0), x));
        hi = wasm_i32x4_add(hi, DOT(wasm_v128_and(vh, m0), x + 32));
        lo = wasm_i32x4_add(lo, DOT(wasm_v128_and(v, m1), x + 8));
        hi = wasm_i32x4_add(hi, DOT(wasm_v128_and(vh, m1), x + 40));
        lo = wasm_i32x4_add(lo, DOT(wasm_v128_and(v, m2), x + 16));
        hi = wasm_i32x4_add(hi, DOT(wasm_v128_and(vh, m2), x + 48));
        lo = wasm_i32x4_add(lo, DOT(wasm_v128_and(v, m3), x + 24));
        hi = wasm_i32x4_add(hi, DOT(wasm_v128_and(vh, m3), x + 56));
    }
    return hsum_i32x4(wasm_i32x4_add(lo, hi)) / 64;  // exact: every term is a multiple of 64
}

// The 4 rows of one interleaved group (codes: its first chunk) at once, one accumulator per row, sharing
// each activation load: lane i of the result = row i's sum (as lane_dot_1, fields and scale the same).
static v128_t lane_dot_rows4(const uint8_t *codes, const int16_t *as, int n_chunks) {
    const v128_t m0 = wasm_i16x8_splat(3), m1 = wasm_i16x8_splat(3 << 2), m2 = wasm_i16x8_splat(3 << 4), m3 = wasm_i16x8_splat(3 << 6);
    v128_t s0 = wasm_i32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
#pragma clang loop unroll(disable)
    for (int f = 0; f < 2 * n_chunks; f++) {  // half chunks: fields 0..3 of v (f even) or of v >> 8 (f odd)
        const uint8_t *l = codes + BN_I2S_STRIDE * (f >> 1);
        const int sh = 8 * (f & 1);
        const int16_t *x = as + 32 * f;
        const v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 8), x2 = wasm_v128_load(x + 16), x3 = wasm_v128_load(x + 24);
#define LANE_ROW(s, i)                                                                                     \
        do {                                                                                               \
            const v128_t v = wasm_u16x8_shr(wasm_v128_load(l + 16 * (i)), sh);                             \
            s = wasm_i32x4_add(s, wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(v, m0), x0), wasm_i32x4_dot_i16x8(wasm_v128_and(v, m1), x1)), \
                                                 wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_and(v, m2), x2), wasm_i32x4_dot_i16x8(wasm_v128_and(v, m3), x3)))); \
        } while (0)
        LANE_ROW(s0, 0);
        LANE_ROW(s1, 1);
        LANE_ROW(s2, 2);
        LANE_ROW(s3, 3);
#undef LANE_ROW
    }
    return wasm_i32x4_shr(hsum4_i32x4(s0, s1, s2, s3), 6);  // exact: every term is a multiple of 64
}

// Prefill: the codes of a 4-row group expanded once to int16 (field f = 8c + k of row i at e + 32f + 8i, the
// 4 rows of a field side by side), then a 4-row x 2-token tile of i32x4.dot_i16x8_s over them and the tokens'
// int16 activations (field f's 8 activations at q16 + 8f): per field 2 activation and 4 code loads, 8 dots,
// 8 adds, 8 accumulators (a lane grows by at most 2 * 2 * 128 a field: no fold). Loop not unrolled.
static void lane_expand4(int16_t *e, const uint8_t *group, int n_chunks) {
    const v128_t m = wasm_i16x8_splat(3);
    for (int c = 0; c < n_chunks; c++, group += BN_I2S_STRIDE, e += 8 * 32)
        for (int i = 0; i < BN_I2S_ROWS; i++) {
            const v128_t v = wasm_v128_load(group + 16 * i);
            wasm_v128_store(e + 8 * i, wasm_v128_and(v, m));
            wasm_v128_store(e + 32 + 8 * i, wasm_v128_and(wasm_u16x8_shr(v, 2), m));
            wasm_v128_store(e + 64 + 8 * i, wasm_v128_and(wasm_u16x8_shr(v, 4), m));
            wasm_v128_store(e + 96 + 8 * i, wasm_v128_and(wasm_u16x8_shr(v, 6), m));
            wasm_v128_store(e + 128 + 8 * i, wasm_v128_and(wasm_u16x8_shr(v, 8), m));
            wasm_v128_store(e + 160 + 8 * i, wasm_v128_and(wasm_u16x8_shr(v, 10), m));
            wasm_v128_store(e + 192 + 8 * i, wasm_v128_and(wasm_u16x8_shr(v, 12), m));
            wasm_v128_store(e + 224 + 8 * i, wasm_u16x8_shr(v, 14));
        }
}

// lane i of *sa / *sb = row i's codes . token a's / token b's activations over n_fields fields
static void lane_tile_4x2(v128_t *sa, v128_t *sb, const int16_t *e, const int16_t *qa, const int16_t *qb, int n_fields) {
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
#pragma clang loop unroll(disable)
    for (int f = 0; f < n_fields; f++) {
        const v128_t xa = wasm_v128_load(qa + 8 * f), xb = wasm_v128_load(qb + 8 * f);
        const int16_t *ef = e + 32 * f;
        v128_t c = wasm_v128_load(ef);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(c, xa));
        b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(c, xb));
        c = wasm_v128_load(ef + 8);
        a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(c, xa));
        b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(c, xb));
        c = wasm_v128_load(ef + 16);
        a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(c, xa));
        b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(c, xb));
        c = wasm_v128_load(ef + 24);
        a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(c, xa));
        b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(c, xb));
    }
    *sa = hsum4_i32x4(a0, a1, a2, a3);
    *sb = hsum4_i32x4(b0, b1, b2, b3);
}

void bn_i2s_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, n_chunks = cols / BN_LANE_CHUNK;
    const size_t arb = bn_act_row_bytes(BN_TYPE_I2_S, cols);
    const uint8_t *wd = w->data;
    if (n_tokens == 1) {
        const bn_act_i8 *h = act;
        int16_t as[cols] __attribute__((aligned(16)));
        lane_prescale(as, (const int16_t *)((const int8_t *)(h + 1) + cols), n_chunks);
        int r = r0;
        for (; r < r1 && r % BN_I2S_ROWS; r++) y[r] = (float)(lane_dot_1(bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, as, n_chunks) - h->sum) / h->s * w->scale;
        for (; r + BN_I2S_ROWS <= r1; r += BN_I2S_ROWS) {
            int32_t s[BN_I2S_ROWS];
            wasm_v128_store(s, lane_dot_rows4(bn_i2s_row(wd, cols, r), as, n_chunks));
            for (int i = 0; i < BN_I2S_ROWS; i++) y[r + i] = (float)(s[i] - h->sum) / h->s * w->scale;
        }
        for (; r < r1; r++) y[r] = (float)(lane_dot_1(bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, as, n_chunks) - h->sum) / h->s * w->scale;
        return;
    }
    // prefill: token groups of up to 16 (their activations stay in L2 while every row group passes), row
    // groups of 4 (partial groups at the ends computed whole, only rows in [r0, r1) stored)
    int16_t e[(size_t)4 * cols] __attribute__((aligned(16)));  // lane_expand4: 4 rows x 8 fields x 8 codes a chunk
    for (int t0 = 0; t0 < n_tokens; t0 += 16) {
        const int nt = n_tokens - t0 < 16 ? n_tokens - t0 : 16;
        for (int rg = r0 & ~(BN_I2S_ROWS - 1); rg < r1; rg += BN_I2S_ROWS) {
            lane_expand4(e, bn_i2s_row(wd, cols, rg), n_chunks);
            for (int t = 0; t < nt; t += 2) {
                const int tb = t + 1 < nt ? t + 1 : t;  // an odd last token pairs with itself
                const bn_act_i8 *h[2] = {(const bn_act_i8 *)((const uint8_t *)act + arb * (t0 + t)), (const bn_act_i8 *)((const uint8_t *)act + arb * (t0 + tb))};
                int32_t s[2][BN_I2S_ROWS];
                v128_t sa, sb;
                lane_tile_4x2(&sa, &sb, e, (const int16_t *)((const int8_t *)(h[0] + 1) + cols), (const int16_t *)((const int8_t *)(h[1] + 1) + cols), 8 * n_chunks);
                wasm_v128_store(s[0], sa);
                wasm_v128_store(s[1], sb);
                for (int j = 0; j < 2 && t + j < nt; j++)
                    for (int i = 0; i < BN_I2S_ROWS; i++) {
                        const int r = rg + i;
                        if (r >= r0 && r < r1) y[(size_t)(t0 + t + j) * rows + r] = (float)(s[j][i] - h[j]->sum) / h[j]->s * w->scale;
                    }
            }
        }
    }
}

// TQ, one row: the reference's block loop (as = activations through lane_prescale)
static float tq_row_1(const uint8_t *codes, const float *dw, int nb, const int16_t *as, const block_q8_K *b, const int32_t *qsum) {
    float sumf = 0.0f;
    for (int k = 0; k < nb; k++) {
        const int32_t sumi = lane_dot_1(codes + (size_t)BN_I2S_STRIDE * 4 * k, BN_I2S_STRIDE, as + QK_K * k, QK_K / BN_LANE_CHUNK) - qsum[k];
        sumf += (float)sumi * (b[k].d * dw[BN_I2S_ROWS * k]);
    }
    return sumf;
}

// TQ, the 4 rows of a group: lane_dot_rows4 per block, and the float accumulation of tq_row_1 in the lanes
// (lane i = row i, the same operations in the same order: bit-identical)
static v128_t tq_rows4(const uint8_t *codes, const float *dw, int nb, const int16_t *as, const block_q8_K *b, const int32_t *qsum) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int k = 0; k < nb; k++) {
        const v128_t sumi = wasm_i32x4_sub(lane_dot_rows4(codes + (size_t)BN_I2S_STRIDE * 4 * k, as + QK_K * k, QK_K / BN_LANE_CHUNK), wasm_i32x4_splat(qsum[k]));
        const v128_t d = wasm_f32x4_mul(wasm_f32x4_splat(b[k].d), wasm_v128_load(dw + BN_I2S_ROWS * k));
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), d));
    }
    return acc;
}

// TQ prefill: the I2_S prefill's expanded codes and 4x2 tile (the packed codes share the layout), one
// 256-block (32 fields) at a time; per block the integer sums (row i in lane i) become floats in the lanes
// exactly as tq_rows4 does it, so the results equal the one-token path's bit for bit.
static void tq_prefill(float *y, const bn_weight *w, const void *act, size_t arb, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K, n_chunks = cols / BN_LANE_CHUNK;
    const float *dw = bn_tq_scales(w->data, rows, cols);
    int16_t e[(size_t)4 * cols] __attribute__((aligned(16)));  // lane_expand4
    for (int t0 = 0; t0 < n_tokens; t0 += 16) {
        const int nt = n_tokens - t0 < 16 ? n_tokens - t0 : 16;
        for (int rg = r0 & ~(BN_I2S_ROWS - 1); rg < r1; rg += BN_I2S_ROWS) {
            lane_expand4(e, bn_i2s_row(w->data, cols, rg), n_chunks);
            const float *dwg = bn_tq_row_scales(dw, cols, rg);  // block k: the group's 4 scales at [4k]
            for (int t = 0; t < nt; t += 2) {
                const int tb = t + 1 < nt ? t + 1 : t;  // an odd last token pairs with itself
                const block_q8_K *ba = (const block_q8_K *)((const uint8_t *)act + arb * (t0 + t)), *bb = (const block_q8_K *)((const uint8_t *)act + arb * (t0 + tb));
                const int16_t *qa = (const int16_t *)(ba + nb), *qb = (const int16_t *)(bb + nb);
                const int32_t *sa_q = (const int32_t *)(qa + cols), *sb_q = (const int32_t *)(qb + cols);
                v128_t fa = wasm_f32x4_splat(0.0f), fb = fa;
                for (int k = 0; k < nb; k++) {
                    v128_t sa, sb;
                    lane_tile_4x2(&sa, &sb, e + (size_t)32 * 32 * k, qa + QK_K * k, qb + QK_K * k, 32);
                    const v128_t dwk = wasm_v128_load(dwg + BN_I2S_ROWS * k);
                    fa = wasm_f32x4_add(fa, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(sa, wasm_i32x4_splat(sa_q[k]))), wasm_f32x4_mul(wasm_f32x4_splat(ba[k].d), dwk)));
                    fb = wasm_f32x4_add(fb, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(sb, wasm_i32x4_splat(sb_q[k]))), wasm_f32x4_mul(wasm_f32x4_splat(bb[k].d), dwk)));
                }
                float f[2][BN_I2S_ROWS];
                wasm_v128_store(f[0], fa);
                wasm_v128_store(f[1], fb);
                for (int j = 0; j < 2 && t + j < nt; j++)
                    for (int i = 0; i < BN_I2S_ROWS; i++) {
                        const int r = rg + i;
                        if (r >= r0 && r < r1) y[(size_t)(t0 + t + j) * rows + r] = f[j][i];
                    }
            }
        }
    }
}

void bn_tq_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, nb = cols / QK_K;
    if (n_tokens > 1) {
        tq_prefill(y, w, act, bn_act_row_bytes(w->type, cols), n_tokens, r0, r1);
        return;
    }
    const uint8_t *wd = w->data;
    const float *dw = bn_tq_scales(wd, w->rows, cols);
    const block_q8_K *b = act;
    const int16_t *q16 = (const int16_t *)(b + nb);
    const int32_t *qsum = (const int32_t *)(q16 + cols);
    int16_t as[cols] __attribute__((aligned(16)));
    lane_prescale(as, q16, cols / BN_LANE_CHUNK);
    int r = r0;
    for (; r < r1 && r % BN_I2S_ROWS; r++) y[r] = tq_row_1(bn_i2s_row(wd, cols, r), bn_tq_row_scales(dw, cols, r), nb, as, b, qsum);
    for (; r + BN_I2S_ROWS <= r1; r += BN_I2S_ROWS) wasm_v128_store(y + r, tq_rows4(bn_i2s_row(wd, cols, r), bn_tq_row_scales(dw, cols, r), nb, as, b, qsum));
    for (; r < r1; r++) y[r] = tq_row_1(bn_i2s_row(wd, cols, r), bn_tq_row_scales(dw, cols, r), nb, as, b, qsum);
}

// The compute ceiling of the prefill tile (kernels-internal.h: bench_dot): a 3-row x 2-token version of
// lane_tile_4x2's loop body (2 activation loads, then 3 int16 code loads each used by 2 dots) on L1-resident
// bytes (3 rows: see bn_bench_dot_relaxed).
uint32_t bn_bench_dot_simd(const void *src, int iters, int *macs) {
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
#pragma clang loop unroll(disable)
    for (int i = 0; i < iters; i++) {
        const v128_t *v = (const v128_t *)src + 5 * (i & 1);  // an address that changes: the loads stay in the loop
        const v128_t xa = v[0], xb = v[1];
        v128_t c = v[2];
        a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(xa, c));
        b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(xb, c));
        c = v[3];
        a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(xa, c));
        b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(xb, c));
        c = v[4];
        a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(xa, c));
        b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(xb, c));
    }
    *macs = 6 * 8;
    const v128_t s = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_add(a0, a1), a2), wasm_i32x4_add(wasm_i32x4_add(b0, b1), b2));
    return (uint32_t)wasm_i32x4_extract_lane(s, 0) ^ (uint32_t)wasm_i32x4_extract_lane(s, 3);
}

#endif  // __wasm_simd128__
