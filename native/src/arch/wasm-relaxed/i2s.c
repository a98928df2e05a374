// arch/wasm-relaxed/i2s.c — the relaxed-SIMD ternary decode kernels (I2_S and TQ1_0/TQ2_0) of the
// `-rx` flavours. Compiled to nothing unless the compiler targets relaxed SIMD (clang >= 16 with
// -mrelaxed-simd; build-wasm.sh compiles this file alone with clang-19 and links the object into the
// emcc build, whose dispatch table (arch/wasm/simd.c, BN_RELAXED_SIMD) points at these functions).
//
// Design: i16x8.relaxed_dot_i8x16_i7x16_s multiplies 16 signed int8 activations by 16 operands that
// must lie in [0, 127] (x86 lowers it to pmaddubsw, which reads them as unsigned; ARM as signed), and
// adds pairs into i16 lanes. The codes 0..2 are such operands, taken straight from the packed lane
// layout (kernels-internal.h) a byte at a time: byte 2i+h of a 16-byte chunk holds, in bits 2m..2m+1,
// the code of column 8(m + 4h) + i. With v4 = v >> 4 (u16 lanes):
//   v & 0x03 -> m=0 (x1)     v & 0x0c -> m=1 (x4)     v4 & 0x03 -> m=2 (x1)     v4 & 0x0c -> m=3 (x4)
// i.e. 1 shift + 4 ands per 64 weights. The activations are permuted once per call into the matching
// order (vector m of chunk c, byte 2i+h = q[64c + 8m + 32h + i]), so the loop is 5 loads, 5 ops,
// 4 dots and 4 i16 adds per 64 weights. The x4-scaled fields go to their own accumulator, divided
// out exactly at the end. Bounds: |q| <= 128, so one dot lane is in [-2048, 2032] (x4 fields) and
// 8 chunks of two x4 dots stay in [-32768, 32512]: i16 accumulators are folded to i32 every 8 chunks.
// Integer sums are exact, so results are bit-identical to the references whatever the order.
// Only the i16x8 dot is used: Node 20's i32x4.relaxed_dot_i8x16_i7x16_add_s is wrong (toolchain.md).
#if defined(__wasm_relaxed_simd__)
#include <wasm_simd128.h>
#include "../../kernels-internal.h"
#include "../wasm/simd-util.h"

#define RDOT(x, c) wasm_i16x8_relaxed_dot_i8x16_i7x16(x, c)

// q (64 * n_chunks int8, natural order) -> p in the decode order described above
static void permute_act(int8_t *p, const int8_t *q, int n_chunks) {
    for (int c = 0; c < n_chunks; c++, p += 64, q += 64) {
        const v128_t a = wasm_v128_load(q), a2 = wasm_v128_load(q + 16);
        const v128_t b = wasm_v128_load(q + 32), b2 = wasm_v128_load(q + 48);
        wasm_v128_store(p, wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        wasm_v128_store(p + 16, wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
        wasm_v128_store(p + 32, wasm_i8x16_shuffle(a2, b2, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        wasm_v128_store(p + 48, wasm_i8x16_shuffle(a2, b2, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }
}

// sum_k code[k] * q[k] over n_chunks chunks of 64, one token; p = permuted activations
static int32_t rx_dot_1(const uint8_t *codes, size_t stride, const int8_t *p, int n_chunks) {
    const v128_t m1 = wasm_i8x16_splat(0x03), m4 = wasm_i8x16_splat(0x0c);
    v128_t acc1 = wasm_i32x4_splat(0), acc4 = acc1;
    for (int c0 = 0; c0 < n_chunks; c0 += 8) {
        const int c1 = c0 + 8 < n_chunks ? c0 + 8 : n_chunks;
        v128_t s1 = wasm_i16x8_splat(0), s4 = s1;
        for (int c = c0; c < c1; c++) {
            const v128_t v = wasm_v128_load(codes + stride * c), v4 = wasm_u16x8_shr(v, 4);
            const int8_t *x = p + 64 * c;
            s1 = wasm_i16x8_add(s1, RDOT(wasm_v128_load(x), wasm_v128_and(v, m1)));
            s4 = wasm_i16x8_add(s4, RDOT(wasm_v128_load(x + 16), wasm_v128_and(v, m4)));
            s1 = wasm_i16x8_add(s1, RDOT(wasm_v128_load(x + 32), wasm_v128_and(v4, m1)));
            s4 = wasm_i16x8_add(s4, RDOT(wasm_v128_load(x + 48), wasm_v128_and(v4, m4)));
        }
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extadd_pairwise_i16x8(s1));
        acc4 = wasm_i32x4_add(acc4, wasm_i32x4_extadd_pairwise_i16x8(s4));
    }
    return hsum_i32x4(acc1) + hsum_i32x4(acc4) / 4;  // every acc4 term is a multiple of 4
}

// Decode, the 4 rows of one interleaved group at once (kernels-internal.h: one 64-byte line = chunk c of
// the 4 rows, a single sequential stream), sharing the 4 activation loads per chunk. True codes
// (shift + and: 7 ops per row and chunk against 5 for the x1/x4 trick of rx_dot_1, but one i16
// accumulator per row instead of two, so 4 rows fit the 16 x64 vector registers without spills).
// Measured: 4-row 7.7-8.4 GB/s in cache and 5.9 GB/s streaming from DRAM, against 5.7-7.3 and 5.6
// for rx_dot_1 row by row on the non-interleaved layout (tools/bench/bin/kernels.mjs, same machine).
// Bound: one dot lane is in [-512, 508] (codes <= 2, |q| <= 128), 4 dots per chunk: fold every 8 chunks.
enum { RX_ROWS = BN_I2S_ROWS };
static void rx_dot_rows(int32_t *out, const uint8_t *codes, const int8_t *p, int n_chunks) {
    const v128_t m = wasm_i8x16_splat(0x03);
    v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    const uint8_t *c0p = codes, *c1p = codes + 16, *c2p = codes + 32, *c3p = codes + 48;
    for (int cb = 0; cb < n_chunks; cb += 8) {
        const int ce = cb + 8 < n_chunks ? cb + 8 : n_chunks;
        v128_t s0 = wasm_i16x8_splat(0), s1 = s0, s2 = s0, s3 = s0;
        for (int c = cb; c < ce; c++) {
            const int8_t *x = p + 64 * c;
            const v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 16), x2 = wasm_v128_load(x + 32), x3 = wasm_v128_load(x + 48);
#define RX_ROW(s, cp)                                                                                   \
            do {                                                                                        \
                const v128_t v = wasm_v128_load(cp + BN_I2S_STRIDE * c);                                           \
                s = wasm_i16x8_add(s, RDOT(x0, wasm_v128_and(v, m)));                                   \
                s = wasm_i16x8_add(s, RDOT(x1, wasm_v128_and(wasm_u16x8_shr(v, 2), m)));                \
                s = wasm_i16x8_add(s, RDOT(x2, wasm_v128_and(wasm_u16x8_shr(v, 4), m)));                \
                s = wasm_i16x8_add(s, RDOT(x3, wasm_v128_and(wasm_u16x8_shr(v, 6), m)));                \
            } while (0)
            RX_ROW(s0, c0p);
            RX_ROW(s1, c1p);
            RX_ROW(s2, c2p);
            RX_ROW(s3, c3p);
#undef RX_ROW
        }
        acc0 = wasm_i32x4_add(acc0, wasm_i32x4_extadd_pairwise_i16x8(s0));
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extadd_pairwise_i16x8(s1));
        acc2 = wasm_i32x4_add(acc2, wasm_i32x4_extadd_pairwise_i16x8(s2));
        acc3 = wasm_i32x4_add(acc3, wasm_i32x4_extadd_pairwise_i16x8(s3));
    }
    out[0] = hsum_i32x4(acc0);
    out[1] = hsum_i32x4(acc1);
    out[2] = hsum_i32x4(acc2);
    out[3] = hsum_i32x4(acc3);
}
// the same for nt <= 4 tokens sharing each weight load: out[t] = sum code * q_t
static void rx_dot_n(int32_t *out, const uint8_t *codes, size_t stride, const int8_t *const *p, int nt, int n_chunks) {
    const v128_t m1 = wasm_i8x16_splat(0x03), m4 = wasm_i8x16_splat(0x0c);
    v128_t acc1[4], acc4[4];
    for (int t = 0; t < 4; t++) acc1[t] = acc4[t] = wasm_i32x4_splat(0);
    for (int c0 = 0; c0 < n_chunks; c0 += 8) {
        const int c1 = c0 + 8 < n_chunks ? c0 + 8 : n_chunks;
        v128_t s1[4], s4[4];
        for (int t = 0; t < 4; t++) s1[t] = s4[t] = wasm_i16x8_splat(0);
        for (int c = c0; c < c1; c++) {
            const v128_t v = wasm_v128_load(codes + stride * c), v4 = wasm_u16x8_shr(v, 4);
            const v128_t e0 = wasm_v128_and(v, m1), e1 = wasm_v128_and(v, m4), e2 = wasm_v128_and(v4, m1), e3 = wasm_v128_and(v4, m4);
            for (int t = 0; t < nt; t++) {
                const int8_t *x = p[t] + 64 * c;
                s1[t] = wasm_i16x8_add(s1[t], wasm_i16x8_add(RDOT(wasm_v128_load(x), e0), RDOT(wasm_v128_load(x + 32), e2)));
                s4[t] = wasm_i16x8_add(s4[t], wasm_i16x8_add(RDOT(wasm_v128_load(x + 16), e1), RDOT(wasm_v128_load(x + 48), e3)));
            }
        }
        for (int t = 0; t < nt; t++) {
            acc1[t] = wasm_i32x4_add(acc1[t], wasm_i32x4_extadd_pairwise_i16x8(s1[t]));
            acc4[t] = wasm_i32x4_add(acc4[t], wasm_i32x4_extadd_pairwise_i16x8(s4[t]));
        }
    }
    for (int t = 0; t < nt; t++) out[t] = hsum_i32x4(acc1[t]) + hsum_i32x4(acc4[t]) / 4;
}

enum { ROW_TILE = 8 };  // prefill: rows whose weights stay in L1 while all token groups pass

void bn_i2s_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, n_chunks = cols / BN_LANE_CHUNK;
    const size_t arb = bn_act_row_bytes(BN_TYPE_I2_S, cols);
    const uint8_t *wd = w->data;
    const int ng = n_tokens < 4 ? n_tokens : 4;
    int8_t perm[(size_t)ng * cols] __attribute__((aligned(16)));
    if (n_tokens == 1) {
        const bn_act_i8 *h = act;
        permute_act(perm, (const int8_t *)(h + 1), n_chunks);
        int r = r0;
        for (; r < r1 && r % RX_ROWS; r++) y[r] = (float)(rx_dot_1(bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, perm, n_chunks) - h->sum) / h->s * w->scale;
        for (; r + RX_ROWS <= r1; r += RX_ROWS) {
            int32_t s[RX_ROWS];
            rx_dot_rows(s, bn_i2s_row(wd, cols, r), perm, n_chunks);
            for (int i = 0; i < RX_ROWS; i++) y[r + i] = (float)(s[i] - h->sum) / h->s * w->scale;
        }
        for (; r < r1; r++) y[r] = (float)(rx_dot_1(bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, perm, n_chunks) - h->sum) / h->s * w->scale;
        return;
    }
    // token groups outside, row tiles inside: each group's activations are permuted once per call
    for (int t0 = 0; t0 < n_tokens; t0 += 4) {
        const int nt = n_tokens - t0 < 4 ? n_tokens - t0 : 4;
        const bn_act_i8 *h[4];
        const int8_t *p[4];
        for (int t = 0; t < nt; t++) {
            h[t] = (const bn_act_i8 *)((const uint8_t *)act + arb * (t0 + t));
            permute_act(perm + (size_t)t * cols, (const int8_t *)(h[t] + 1), n_chunks);
            p[t] = perm + (size_t)t * cols;
        }
        for (int r = r0; r < r1; r++) {
            int32_t s[4];
            rx_dot_n(s, bn_i2s_row(wd, cols, r), BN_I2S_STRIDE, p, nt, n_chunks);
            for (int t = 0; t < nt; t++) y[(size_t)(t0 + t) * rows + r] = (float)(s[t] - h[t]->sum) / h[t]->s * w->scale;
        }
    }
}

void bn_tq_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K;
    const size_t arb = bn_act_row_bytes(w->type, cols), wrb = (size_t)cols / 4;
    const uint8_t *wd = w->data;
    const float *dw = (const float *)(wd + (size_t)rows * wrb);
    int8_t perm[(size_t)cols] __attribute__((aligned(16)));
    for (int t = 0; t < n_tokens; t++) {
        const block_q8_K *b = (const block_q8_K *)((const uint8_t *)act + arb * t);
        const int32_t *qsum = (const int32_t *)((const int16_t *)(b + nb) + cols);
        for (int k = 0; k < nb; k++) permute_act(perm + QK_K * k, b[k].qs, QK_K / BN_LANE_CHUNK);
        for (int r = r0; r < r1; r++) {
            const uint8_t *codes = wd + wrb * r;
            float sumf = 0.0f;
            for (int k = 0; k < nb; k++) {
                const int32_t sumi = rx_dot_1(codes + 64 * k, BN_LANE_CHUNK_BYTES, perm + QK_K * k, QK_K / BN_LANE_CHUNK) - qsum[k];
                sumf += (float)sumi * (b[k].d * dw[(size_t)r * nb + k]);
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

#endif  // __wasm_relaxed_simd__
