// pack-i2s.c — GGUF I2_S -> the packed I2_S layout of the kernels (kernels-internal.h: the lane layout,
// rows interleaved in groups of BN_I2S_ROWS), without unpacking codes.
#include "kernels-internal.h"

#if !defined(__wasm_simd128__)
// byte i of x (i < 4) -> byte 2i of the result, zeros between
static inline uint64_t spread_bytes(uint64_t x) {
    x &= 0xffffffffu;
    x = (x | x << 16) & 0x0000ffff0000ffffULL;
    return (x | x << 8) & 0x00ff00ff00ff00ffULL;
}

// One GGUF I2_S block (128 codes in 32 bytes: code of element 32g + m at bits 6-2g of byte m) ->
// two lane-layout chunks, without unpacking codes. Read the block as 4 rows r of 8 bytes
// (Q_r byte i = byte 8r + i), each byte holding 4 two-bit fields f (element 32(3-f) + 8r + i).
// Lane i of chunk c needs, in its low byte, field f = 3 - 2c of bytes i, 8+i, 16+i, 24+i (rows
// 0..3, in field order), and field f - 1 in its high byte: that is the 4x4 transpose of 2-bit fields
// (rows <-> fields) done below with two rounds of delta swaps on all 8 columns i at once, after
// which T_f byte i is exactly that byte; the chunks are then byte-interleaves of T3,T2 and T1,T0.
// Same result as put_chunk() on the unpacked codes (the selftest checks decode results on it).
static inline void block_to_lanes_scalar(uint8_t *c0, uint8_t *c1, const uint8_t *b) {
    uint64_t q0, q1, q2, q3, t;
    memcpy(&q0, b, 8);
    memcpy(&q1, b + 8, 8);
    memcpy(&q2, b + 16, 8);
    memcpy(&q3, b + 24, 8);
    // swap the 2x2 off-diagonal blocks: (rows 0-1, fields 2-3) <-> (rows 2-3, fields 0-1)
    t = ((q0 >> 4) ^ q2) & 0x0f0f0f0f0f0f0f0fULL; q2 ^= t; q0 ^= t << 4;
    t = ((q1 >> 4) ^ q3) & 0x0f0f0f0f0f0f0f0fULL; q3 ^= t; q1 ^= t << 4;
    // then inside each 2x2 block: (even row, odd field) <-> (odd row, even field)
    t = ((q0 >> 2) ^ q1) & 0x3333333333333333ULL; q1 ^= t; q0 ^= t << 2;
    t = ((q2 >> 2) ^ q3) & 0x3333333333333333ULL; q3 ^= t; q2 ^= t << 2;
    // now q_f byte i = fields k (bits 2k) = field f of byte 8k + i
    const uint64_t w[4] = {
        spread_bytes(q3) | spread_bytes(q2) << 8, spread_bytes(q3 >> 32) | spread_bytes(q2 >> 32) << 8,
        spread_bytes(q1) | spread_bytes(q0) << 8, spread_bytes(q1 >> 32) | spread_bytes(q0 >> 32) << 8,
    };
    memcpy(c0, w, BN_LANE_CHUNK_BYTES);
    memcpy(c1, w + 2, BN_LANE_CHUNK_BYTES);
}
#else
#include <wasm_simd128.h>
// The same transpose with SIMD128 (the WASM builds), bit-identical: the same delta swaps on two u64 lanes at once, and the
// byte spreads as byte interleaves (one shuffle per chunk), written straight to the two chunks
static inline void block_to_lanes_simd(uint8_t *c0, uint8_t *c1, v128_t a, v128_t b) {  // a = q0 q1, b = q2 q3
    v128_t t = wasm_v128_and(wasm_v128_xor(wasm_u64x2_shr(a, 4), b), wasm_i8x16_splat(0x0f));
    b = wasm_v128_xor(b, t);
    a = wasm_v128_xor(a, wasm_i64x2_shl(t, 4));
    v128_t c = wasm_i64x2_shuffle(a, b, 0, 2), d = wasm_i64x2_shuffle(a, b, 1, 3);  // q0 q2, q1 q3
    t = wasm_v128_and(wasm_v128_xor(wasm_u64x2_shr(c, 2), d), wasm_i8x16_splat(0x33));
    d = wasm_v128_xor(d, t);
    c = wasm_v128_xor(c, wasm_i64x2_shl(t, 2));
    wasm_v128_store(c0, wasm_i8x16_shuffle(d, c, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));  // q3, q2
    wasm_v128_store(c1, wasm_i8x16_shuffle(d, c, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));          // q1, q0
}
#endif

void bn_i2s_block_to_chunks(uint8_t *c0, uint8_t *c1, const uint8_t *block) {
#if defined(__wasm_simd128__)
    block_to_lanes_simd(c0, c1, wasm_v128_load(block), wasm_v128_load(block + 16));
#else
    block_to_lanes_scalar(c0, c1, block);
#endif
}

typedef struct {
    const uint8_t *src;
    uint8_t *out;
    int rows, cols;
    int bad;  // set (to 1) by any task that meets a code 3
} i2s_pack_task;

// rows [rows * ith / nth, rows * (ith + 1) / nth): rows are independent, so the pool shares them. Each
// GGUF block of 128 codes becomes chunks 2b, 2b+1 of its row, at their interleaved places; the codes are
// checked for the invalid value 3 in the same pass.
static void pack_i2s_worker(void *arg, int ith, int nth, int thread) {
    (void)thread;
    i2s_pack_task *t = arg;
    const int cols = t->cols, blocks_per_row = cols / QK_I2S;
    const int r0 = (int)((int64_t)t->rows * ith / nth), r1 = (int)((int64_t)t->rows * (ith + 1) / nth);
#if defined(__wasm_simd128__)
    v128_t bad = wasm_i32x4_splat(0);
    const v128_t m55 = wasm_i8x16_splat(0x55);
#else
    uint8_t bad = 0;
#endif
    for (int r = r0; r < r1; r++) {
        uint8_t *row = (uint8_t *)bn_i2s_row(t->out, cols, r);
        const uint8_t *src = t->src + (size_t)32 * blocks_per_row * r;
        for (int b = 0; b < blocks_per_row; b++, src += 32) {
            uint8_t *c0 = row + (size_t)BN_I2S_STRIDE * 2 * b;
#if defined(__wasm_simd128__)
            const v128_t qa = wasm_v128_load(src), qb = wasm_v128_load(src + 16);
            // a code 3 sets both bits of a field: (v & v >> 1) & 0x55 (the u16 shift's carry lands in bit 7, masked)
            bad = wasm_v128_or(bad, wasm_v128_and(wasm_v128_and(qa, wasm_u16x8_shr(qa, 1)), m55));
            bad = wasm_v128_or(bad, wasm_v128_and(wasm_v128_and(qb, wasm_u16x8_shr(qb, 1)), m55));
            block_to_lanes_simd(c0, c0 + BN_I2S_STRIDE, qa, qb);
#else
            for (int i = 0; i < 32; i++) bad |= src[i] & (src[i] >> 1) & 0x55;
            block_to_lanes_scalar(c0, c0 + BN_I2S_STRIDE, src);
#endif
        }
    }
#if defined(__wasm_simd128__)
    if (wasm_v128_any_true(bad)) __atomic_store_n(&t->bad, 1, __ATOMIC_RELAXED);
#else
    if (bad) __atomic_store_n(&t->bad, 1, __ATOMIC_RELAXED);
#endif
}

BN_API bn_status bn_weight_pack_i2s(bn_weight *w, void *dst, const uint8_t *src, int rows, int cols) {
    if (!w || !dst || !src || rows <= 0 || cols <= 0) return BN_ERR_ARG;
    if (cols % QK_I2S || bn_weight_packed_bytes(BN_TYPE_I2_S, rows, cols) == 0) return BN_ERR_SHAPE;
    const size_t n_bytes = (size_t)rows * cols / 4;
    float scale;
    memcpy(&scale, src + n_bytes, 4);
    if (!isfinite(scale)) return BN_ERR_DATA;
    uint8_t *out = dst;
    const int padded = bn_i2s_padded_rows(rows);
    if (padded > rows) memset(out + (size_t)(padded - BN_I2S_ROWS) * (cols / 4), 0, (size_t)BN_I2S_ROWS * (cols / 4));
    i2s_pack_task t = {src, out, rows, cols, 0};
    bn_parallel(pack_i2s_worker, &t, rows >= 256 ? rows / 64 : 1);  // a 2B-4T layer is ~17 MB of codes
    if (t.bad) return BN_ERR_DATA;
    w->type = BN_TYPE_I2_S;
    w->rows = rows;
    w->cols = cols;
    w->scale = scale;
    w->data = dst;
    return BN_OK;
}

