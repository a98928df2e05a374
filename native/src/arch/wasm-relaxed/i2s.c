// arch/wasm-relaxed/i2s.c — the relaxed-SIMD ternary kernels (I2_S and TQ1_0/TQ2_0) of the `-rx`
// flavours. Compiled to nothing unless the compiler targets relaxed SIMD (clang >= 16 with
// -mrelaxed-simd; build-wasm.sh compiles this file alone with clang-19 and links the object into the
// emcc build, whose dispatch table (arch/wasm/simd.c, BN_RELAXED_SIMD) points at these functions).
//
// Design: i16x8.relaxed_dot_i8x16_i7x16_s multiplies 16 signed int8 activations by 16 operands that
// must lie in [0, 127] (x86 lowers it to pmaddubsw, which reads them as unsigned; ARM as signed), and
// adds pairs into i16 lanes. The codes 0..2 are such operands, taken straight from the packed lane
// layout (kernels-internal.h) a byte at a time: byte 2i+h of a 16-byte chunk holds, in bits 2m..2m+1,
// the code of column 8(m + 4h) + i, so (v >> 2m) & 3 (u16 shifts; the mask drops what crosses bytes)
// is field m, and the activations are permuted once per call into the matching order (vector m of
// chunk c, byte 2i+h = q[64c + 8m + 32h + i]). Three kernels:
//   rx_dot_1     one row (rows outside a whole group of 4): the x1/x4 trick — v & 0x03, v & 0x0c, v4 & 0x03,
//                v4 & 0x0c with v4 = v >> 4, i.e. 1 shift + 4 ands per 64 weights, the x4-scaled
//                fields in their own accumulator, divided out exactly at the end;
//   rx_dot_rows  decode, the 4 rows of an interleaved group sharing each activation load, the same x1/x4
//                fields folded into one accumulator per row every chunk (rx_tq_rows4:
//                the same per 256-block for TQ, whose packed codes use the I2_S layout);
//   rx_tile_4x2  prefill (I2_S and TQ), 4 rows x 2 tokens over codes expanded once per row group and
//                token group (rx_prefill_i2s, rx_prefill_tq).
// Integer sums are exact, so results are bit-identical to the references whatever the order; the i16
// accumulators are folded to i32 before they can overflow (bounds at each kernel).
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

// sum_k code[k] * q[k] over n_chunks chunks of 64, one token; p = permuted activations. Bound: |q| <= 128,
// so one x4 dot lane is in [-2048, 2032] and 8 chunks of two x4 dots stay in [-32768, 32512].
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
// the 4 rows, a single sequential stream), sharing the 4 activation loads per chunk. Per row and chunk the
// x1/x4 trick of rx_dot_1 (v & 0x03, v & 0x0c, v4 & 0x03, v4 & 0x0c with v4 = v >> 4: one shift, 4 ands)
// with the x4-scaled pair of dots folded into the row's one i16 accumulator right away ((d1 + d3) >> 2,
// exact: both are multiples of 4): 14 vector ops per 64 weights against 15 for true codes (3 shifts), and
// still one accumulator per row, so 4 rows fit V8's vector registers. (Two accumulators per row, as in
// rx_dot_1, spilled: 5.0-5.9 GB/s streaming against 5.6-6.6.) One pointer walks the group's lines, so the
// 4 rows' loads carry constant offsets instead of an address add each. Measured against the true-code loop
// (kernels bench stream row, paired rounds, 3 runs each): 61-66% of the read ceiling against 59-62%.
// Bound: a = d0 + d2 in [-1024, 1016], b = d1 + d3 in [-4096, 4064] (x4 codes <= 8, q in [-128, 127]), b >> 2
// in [-1024, 1016]: a chunk adds a value in [-2048, 2032], so 16 chunks stay in [-32768, 32512] and the i16
// accumulators are folded into i32 every RX_FOLD = 16 chunks. (Every 8, as before, cost 2-4% more time in
// cache: each fold is 4 widenings, a 4-way transpose-add and a fresh loop entry.) bn_selftest's extreme-value
// runs (all weights +1, all activations +-1) reach 16 x 2032 and fail if this is raised.
enum { RX_ROWS = BN_I2S_ROWS, RX_FOLD = 16 };
// s += chunk c's codes of the row at offset o of the line at g . activations x0..x3 (masks m = 0x03, m4 = 0x0c)
#define RX_ROW(s, o)                                                                                   \
    do {                                                                                               \
        const v128_t v = wasm_v128_load(g + (o)), v4 = wasm_u16x8_shr(v, 4);                           \
        const v128_t a = wasm_i16x8_add(RDOT(x0, wasm_v128_and(v, m)), RDOT(x2, wasm_v128_and(v4, m)));   \
        const v128_t b = wasm_i16x8_add(RDOT(x1, wasm_v128_and(v, m4)), RDOT(x3, wasm_v128_and(v4, m4))); \
        s = wasm_i16x8_add(s, wasm_i16x8_add(a, wasm_i16x8_shr(b, 2)));                               \
    } while (0)
// lane i = sum over chunks [c0, c1) (at most RX_FOLD: the i16 bound above) of row i's true codes . activations
static inline __attribute__((always_inline)) v128_t rx_rows4_sum(const uint8_t *codes, const int8_t *p, int c0, int c1) {
    const v128_t m = wasm_i8x16_splat(0x03), m4 = wasm_i8x16_splat(0x0c);
    v128_t s0 = wasm_i16x8_splat(0), s1 = s0, s2 = s0, s3 = s0;
    const uint8_t *g = codes + (size_t)BN_I2S_STRIDE * c0;
    const int8_t *x = p + 64 * c0;
    // not unrolled: rx_tq_rows4's constant 4 chunks a block were, and V8 then spilled most of the body
#pragma clang loop unroll(disable)
    for (int c = c0; c < c1; c++, g += BN_I2S_STRIDE, x += 64) {
        const v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 16), x2 = wasm_v128_load(x + 32), x3 = wasm_v128_load(x + 48);
        RX_ROW(s0, 0);
        RX_ROW(s1, 16);
        RX_ROW(s2, 32);
        RX_ROW(s3, 48);
    }
    return hsum4_i32x4(wasm_i32x4_extadd_pairwise_i16x8(s0), wasm_i32x4_extadd_pairwise_i16x8(s1),
                       wasm_i32x4_extadd_pairwise_i16x8(s2), wasm_i32x4_extadd_pairwise_i16x8(s3));
}

static void rx_dot_rows(int32_t *out, const uint8_t *codes, const int8_t *p, int n_chunks) {
    v128_t acc = wasm_i32x4_splat(0);
    for (int cb = 0; cb < n_chunks; cb += RX_FOLD) acc = wasm_i32x4_add(acc, rx_rows4_sum(codes, p, cb, cb + RX_FOLD < n_chunks ? cb + RX_FOLD : n_chunks));
    wasm_v128_store(out, acc);
}
// Prefill, I2_S: rows in their interleaved groups of 4, each group's codes expanded once per token group
// into an L1 scratch (field m of chunk c of row i at 64 (4c + m) + 16i: the 4 rows' code vectors of one
// field side by side, in the order the tile reads them), then a 4-row x 2-token tile over the expanded
// codes: per field 2 activation loads, 4 code loads, 8 dots and 8 adds, 8 i16 accumulators. No unpacking
// in the tile, and a small flat loop body (one field per iteration): the former 2-row x 4-token tile
// unpacked in registers and, unrolled, had clang hoist all 16 activation loads of a chunk ahead of the
// dots, so V8 spilled a third of its vectors to the stack. Measured (in-process A/B, 128 tokens, 1 thread):
// 6912x2560 70 -> 89 GOPS, 2560x6912 51 -> 84 GOPS; bit-identical. Scratch: a token group of up to 16
// permuted activation rows within RXP_SCRATCH (128 KB; 64 KB measured 70 GOPS on 2560x6912, whose
// columns then allowed only 8 tokens a group: the codes are expanded once per group) plus the 4 rows'
// expanded codes (4 * cols bytes), on the stack (1 MB on the main thread, 2 MB on pool threads).
// Bound: one dot lane is in [-512, 508]: 64 fields (16 chunks) stay in [-32768, 32512], so fold into i32
// every RXP_FOLD = 64 fields, like rx_dot_rows.
enum { RXP_ROWS = 4, RXP_TOK = 2, RXP_FOLD = 64, RXP_SCRATCH = 128 * 1024 };

static void rx_expand4(uint8_t *e, const uint8_t *group, int n_chunks) {
    const v128_t m = wasm_i8x16_splat(0x03);
    for (int c = 0; c < n_chunks; c++, group += BN_I2S_STRIDE, e += 4 * BN_I2S_STRIDE)
        for (int i = 0; i < RXP_ROWS; i++) {
            const v128_t v = wasm_v128_load(group + 16 * i);
            wasm_v128_store(e + 16 * i, wasm_v128_and(v, m));
            wasm_v128_store(e + 64 + 16 * i, wasm_v128_and(wasm_u16x8_shr(v, 2), m));
            wasm_v128_store(e + 128 + 16 * i, wasm_v128_and(wasm_u16x8_shr(v, 4), m));
            wasm_v128_store(e + 192 + 16 * i, wasm_v128_and(wasm_u16x8_shr(v, 6), m));
        }
}

// Row i's expanded codes (e: rx_expand4) . the activations of token a (pa) and of token b (pb) over fields
// [k0, k1) (at most RXP_FOLD: the i16 bound), as i32x4 with row i in lane i: *sa for token a, *sb for b
static inline __attribute__((always_inline)) void rx_fields_4x2(v128_t *sa, v128_t *sb, const uint8_t *e, const int8_t *pa, const int8_t *pb, int k0, int k1) {
    v128_t a0 = wasm_i16x8_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
#pragma clang loop unroll(disable)
    for (int k = k0; k < k1; k++) {
        const v128_t xa = wasm_v128_load(pa + 16 * k), xb = wasm_v128_load(pb + 16 * k);
        const uint8_t *ek = e + 64 * k;
        v128_t c = wasm_v128_load(ek);
        a0 = wasm_i16x8_add(a0, RDOT(xa, c));
        b0 = wasm_i16x8_add(b0, RDOT(xb, c));
        c = wasm_v128_load(ek + 16);
        a1 = wasm_i16x8_add(a1, RDOT(xa, c));
        b1 = wasm_i16x8_add(b1, RDOT(xb, c));
        c = wasm_v128_load(ek + 32);
        a2 = wasm_i16x8_add(a2, RDOT(xa, c));
        b2 = wasm_i16x8_add(b2, RDOT(xb, c));
        c = wasm_v128_load(ek + 48);
        a3 = wasm_i16x8_add(a3, RDOT(xa, c));
        b3 = wasm_i16x8_add(b3, RDOT(xb, c));
    }
    *sa = hsum4_i32x4(wasm_i32x4_extadd_pairwise_i16x8(a0), wasm_i32x4_extadd_pairwise_i16x8(a1), wasm_i32x4_extadd_pairwise_i16x8(a2), wasm_i32x4_extadd_pairwise_i16x8(a3));
    *sb = hsum4_i32x4(wasm_i32x4_extadd_pairwise_i16x8(b0), wasm_i32x4_extadd_pairwise_i16x8(b1), wasm_i32x4_extadd_pairwise_i16x8(b2), wasm_i32x4_extadd_pairwise_i16x8(b3));
}

// The same over all n_fields, folded every RXP_FOLD fields
static void rx_tile_4x2(v128_t *sa, v128_t *sb, const uint8_t *e, const int8_t *pa, const int8_t *pb, int n_fields) {
    v128_t acc_a = wasm_i32x4_splat(0), acc_b = acc_a;
    for (int k0 = 0; k0 < n_fields; k0 += RXP_FOLD) {
        v128_t fa, fb;
        rx_fields_4x2(&fa, &fb, e, pa, pb, k0, k0 + RXP_FOLD < n_fields ? k0 + RXP_FOLD : n_fields);
        acc_a = wasm_i32x4_add(acc_a, fa);
        acc_b = wasm_i32x4_add(acc_b, fb);
    }
    *sa = acc_a;
    *sb = acc_b;
}

// Token group size of the prefill kernels: as many permuted activation rows of `cols` as fit RXP_SCRATCH,
// at most 16, a multiple of the tile's 2
static inline int rx_token_group(int cols) {
    const int g = RXP_SCRATCH / cols;
    return g < RXP_TOK ? RXP_TOK : g > 16 ? 16 : g & ~(RXP_TOK - 1);
}

static void rx_prefill_i2s(float *y, const bn_weight *w, const void *act, size_t arb, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, n_chunks = cols / BN_LANE_CHUNK, g = rx_token_group(cols);
    uint8_t e[(size_t)RXP_ROWS * cols] __attribute__((aligned(16)));
    int8_t perm[(size_t)g * cols] __attribute__((aligned(16)));
    for (int t0 = 0; t0 < n_tokens; t0 += g) {
        const int nt = n_tokens - t0 < g ? n_tokens - t0 : g;
        for (int t = 0; t < nt; t++) permute_act(perm + (size_t)t * cols, (const int8_t *)((const bn_act_i8 *)((const uint8_t *)act + arb * (t0 + t)) + 1), n_chunks);
        for (int rg = r0 & ~(RXP_ROWS - 1); rg < r1; rg += RXP_ROWS) {
            rx_expand4(e, bn_i2s_row(w->data, cols, rg), n_chunks);
            for (int t = 0; t < nt; t += RXP_TOK) {
                const int tb = t + 1 < nt ? t + 1 : t;  // an odd last token pairs with itself
                int32_t s[RXP_TOK][RXP_ROWS];
                v128_t sa, sb;
                rx_tile_4x2(&sa, &sb, e, perm + (size_t)t * cols, perm + (size_t)tb * cols, 4 * n_chunks);
                wasm_v128_store(s[0], sa);
                wasm_v128_store(s[1], sb);
                for (int j = 0; j < RXP_TOK && t + j < nt; j++) {
                    const bn_act_i8 *h = (const bn_act_i8 *)((const uint8_t *)act + arb * (t0 + t + j));
                    for (int i = 0; i < RXP_ROWS; i++) {
                        const int r = rg + i;
                        if (r >= r0 && r < r1) y[(size_t)(t0 + t + j) * rows + r] = (float)(s[j][i] - h->sum) / h->s * w->scale;  // else outside this call's rows, or padding
                    }
                }
            }
        }
    }
}

void bn_i2s_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, n_chunks = cols / BN_LANE_CHUNK;
    const uint8_t *wd = w->data;
    if (n_tokens == 1) {
        int8_t perm[cols] __attribute__((aligned(16)));
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
    rx_prefill_i2s(y, w, act, bn_act_row_bytes(BN_TYPE_I2_S, cols), n_tokens, r0, r1);
}

// TQ decode, the 4 rows of one interleaved group (codes: its first chunk; same layout as I2_S) sharing
// each activation load, the sums of rx_rows4_sum (as rx_dot_rows); per 256-block the 4 integer sums come out as one i32x4 (row i in lane
// i) and the float accumulation runs in the lanes: lane i adds (float)(sumi - qsum) * (d_a * d_w) block
// after block, the very operations and order of the one-row path, so the results are bit-identical.
// Bound: 4 chunks of at most 2048 in magnitude each (rx_rows4_sum) per block, folded every block.
static v128_t rx_tq_rows4(const uint8_t *codes, const float *dw, int nb, const int8_t *p, const block_q8_K *b, const int32_t *qsum) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int k = 0; k < nb; k++) {
        const v128_t sumi = wasm_i32x4_sub(rx_rows4_sum(codes, p, 4 * k, 4 * k + 4), wasm_i32x4_splat(qsum[k]));
        const v128_t d = wasm_f32x4_mul(wasm_f32x4_splat(b[k].d), wasm_v128_load(dw + BN_I2S_ROWS * k));
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sumi), d));
    }
    return acc;
}

// TQ decode, one row (codes: its first chunk, BN_I2S_STRIDE apart): the reference's block loop
static float rx_tq_1(const uint8_t *codes, const float *dw, int nb, const int8_t *p, const block_q8_K *b, const int32_t *qsum) {
    float sumf = 0.0f;
    for (int k = 0; k < nb; k++) {
        const int32_t sumi = rx_dot_1(codes + (size_t)BN_I2S_STRIDE * 4 * k, BN_I2S_STRIDE, p + QK_K * k, QK_K / BN_LANE_CHUNK) - qsum[k];
        sumf += (float)sumi * (b[k].d * dw[BN_I2S_ROWS * k]);
    }
    return sumf;
}

// TQ prefill: the I2_S prefill's row groups, expanded codes and 4x2 tile (the packed codes share the
// layout), one 256-block (16 fields) at a time: per block the tile's integer sums (row i in lane i) become
// floats in the lanes, lane i adding (float)(sumi - qsum) * (d_a * d_w[row i]) block after block, the
// operations and order of the one-token path, so the results are bit-identical to it.
static void rx_prefill_tq(float *y, const bn_weight *w, const void *act, size_t arb, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K, n_chunks = cols / BN_LANE_CHUNK, g = rx_token_group(cols);
    const float *dw = bn_tq_scales(w->data, rows, cols);
    uint8_t e[(size_t)RXP_ROWS * cols] __attribute__((aligned(16)));
    int8_t perm[(size_t)g * cols] __attribute__((aligned(16)));
    for (int t0 = 0; t0 < n_tokens; t0 += g) {
        const int nt = n_tokens - t0 < g ? n_tokens - t0 : g;
        for (int t = 0; t < nt; t++) {
            const block_q8_K *b = (const block_q8_K *)((const uint8_t *)act + arb * (t0 + t));
            for (int k = 0; k < nb; k++) permute_act(perm + (size_t)t * cols + QK_K * k, b[k].qs, QK_K / BN_LANE_CHUNK);
        }
        for (int rg = r0 & ~(RXP_ROWS - 1); rg < r1; rg += RXP_ROWS) {
            rx_expand4(e, bn_i2s_row(w->data, cols, rg), n_chunks);
            const float *dwg = bn_tq_row_scales(dw, cols, rg);  // block k: the group's 4 scales (row i in lane i) at [4k]
            for (int t = 0; t < nt; t += RXP_TOK) {
                const int tb = t + 1 < nt ? t + 1 : t;  // an odd last token pairs with itself
                const block_q8_K *ba = (const block_q8_K *)((const uint8_t *)act + arb * (t0 + t)), *bb = (const block_q8_K *)((const uint8_t *)act + arb * (t0 + tb));
                const int32_t *qa = (const int32_t *)((const int16_t *)(ba + nb) + cols), *qb = (const int32_t *)((const int16_t *)(bb + nb) + cols);
                const int8_t *pa = perm + (size_t)t * cols, *pb = perm + (size_t)tb * cols;
                v128_t fa = wasm_f32x4_splat(0.0f), fb = fa;
                for (int k = 0; k < nb; k++) {
                    v128_t sa, sb;
                    rx_fields_4x2(&sa, &sb, e, pa, pb, 16 * k, 16 * k + 16);
                    const v128_t dwk = wasm_v128_load(dwg + BN_I2S_ROWS * k);
                    fa = wasm_f32x4_add(fa, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(sa, wasm_i32x4_splat(qa[k]))), wasm_f32x4_mul(wasm_f32x4_splat(ba[k].d), dwk)));
                    fb = wasm_f32x4_add(fb, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(sb, wasm_i32x4_splat(qb[k]))), wasm_f32x4_mul(wasm_f32x4_splat(bb[k].d), dwk)));
                }
                float f[RXP_TOK][RXP_ROWS];
                wasm_v128_store(f[0], fa);
                wasm_v128_store(f[1], fb);
                for (int j = 0; j < RXP_TOK && t + j < nt; j++)
                    for (int i = 0; i < RXP_ROWS; i++) {
                        const int r = rg + i;
                        if (r >= r0 && r < r1) y[(size_t)(t0 + t + j) * rows + r] = f[j][i];
                    }
            }
        }
    }
}

void bn_tq_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K;
    const size_t arb = bn_act_row_bytes(w->type, cols);
    const uint8_t *wd = w->data;
    const float *dw = bn_tq_scales(wd, rows, cols);
    if (n_tokens == 1) {
        int8_t perm[cols] __attribute__((aligned(16)));
        const block_q8_K *b = act;
        const int32_t *qsum = (const int32_t *)((const int16_t *)(b + nb) + cols);
        for (int k = 0; k < nb; k++) permute_act(perm + QK_K * k, b[k].qs, QK_K / BN_LANE_CHUNK);
        int r = r0;
        for (; r < r1 && r % RX_ROWS; r++) y[r] = rx_tq_1(bn_i2s_row(wd, cols, r), bn_tq_row_scales(dw, cols, r), nb, perm, b, qsum);
        for (; r + RX_ROWS <= r1; r += RX_ROWS) wasm_v128_store(y + r, rx_tq_rows4(bn_i2s_row(wd, cols, r), bn_tq_row_scales(dw, cols, r), nb, perm, b, qsum));
        for (; r < r1; r++) y[r] = rx_tq_1(bn_i2s_row(wd, cols, r), bn_tq_row_scales(dw, cols, r), nb, perm, b, qsum);
        return;
    }
    rx_prefill_tq(y, w, act, arb, n_tokens, r0, r1);
}

// The compute ceiling of the prefill tile (kernels-internal.h: bench_dot): a 3-row x 2-token version of
// rx_tile_4x2's loop body (2 activation loads, then 3 code loads each used by 2 dots; codes 0..2, the i7
// operand) on L1-resident bytes. 3 rows, not 4: clang hoists these loads to the top of the body, and with 8
// accumulators V8 (15 allocatable vector registers) then spilled two of them, store and reload every
// iteration, which measured below the real kernel.
uint32_t bn_bench_dot_relaxed(const void *src, int iters, int *macs) {
    v128_t a0 = wasm_i16x8_splat(0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
#pragma clang loop unroll(disable)
    for (int i = 0; i < iters; i++) {
        const v128_t *v = (const v128_t *)src + 5 * (i & 1);  // an address that changes: the loads stay in the loop
        const v128_t xa = v[0], xb = v[1];
        v128_t c = v[2];
        a0 = wasm_i16x8_add(a0, RDOT(xa, c));
        b0 = wasm_i16x8_add(b0, RDOT(xb, c));
        c = v[3];
        a1 = wasm_i16x8_add(a1, RDOT(xa, c));
        b1 = wasm_i16x8_add(b1, RDOT(xb, c));
        c = v[4];
        a2 = wasm_i16x8_add(a2, RDOT(xa, c));
        b2 = wasm_i16x8_add(b2, RDOT(xb, c));
    }
    *macs = 6 * 16;
    const v128_t s = wasm_i16x8_add(wasm_i16x8_add(wasm_i16x8_add(a0, a1), a2), wasm_i16x8_add(wasm_i16x8_add(b0, b1), b2));
    return (uint32_t)wasm_i32x4_extract_lane(s, 0) ^ (uint32_t)wasm_i32x4_extract_lane(s, 3);
}

#endif  // __wasm_relaxed_simd__
