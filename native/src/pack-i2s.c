// pack-i2s.c — GGUF I2_S -> the packed I2_S layout of the kernels (kernels-internal.h: the lane layout,
// rows interleaved in groups of BN_I2S_ROWS), without unpacking codes.
#include "kernels-internal.h"

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
void bn_i2s_block_to_lanes(uint8_t *out, const uint8_t *b) {
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
    memcpy(out, w, 32);
}

BN_API bn_status bn_weight_pack_i2s(bn_weight *w, void *dst, const uint8_t *src, int rows, int cols) {
    if (!w || !dst || !src || rows <= 0 || cols <= 0) return BN_ERR_ARG;
    if (cols % QK_I2S || bn_weight_packed_bytes(BN_TYPE_I2_S, rows, cols) == 0) return BN_ERR_SHAPE;
    const size_t n_bytes = (size_t)rows * cols / 4;
    float scale;
    memcpy(&scale, src + n_bytes, 4);
    if (!isfinite(scale)) return BN_ERR_DATA;
    uint8_t bad = 0;
    for (size_t i = 0; i < n_bytes; i++) bad |= src[i] & (src[i] >> 1) & 0x55;  // any code 3?
    if (bad) return BN_ERR_DATA;
    // each GGUF block of 128 codes becomes chunks 2b, 2b+1 of its row, at their interleaved places
    uint8_t *out = dst;
    const int blocks_per_row = cols / QK_I2S, padded = bn_i2s_padded_rows(rows);
    if (padded > rows) memset(out + (size_t)(padded - BN_I2S_ROWS) * (cols / 4), 0, (size_t)BN_I2S_ROWS * (cols / 4));
    for (int r = 0; r < rows; r++) {
        uint8_t *row = (uint8_t *)bn_i2s_row(out, cols, r);
        for (int b = 0; b < blocks_per_row; b++) {
            uint8_t lanes[2 * BN_LANE_CHUNK_BYTES];
            bn_i2s_block_to_lanes(lanes, src + 32 * ((size_t)r * blocks_per_row + b));
            memcpy(row + (size_t)BN_I2S_STRIDE * 2 * b, lanes, BN_LANE_CHUNK_BYTES);
            memcpy(row + (size_t)BN_I2S_STRIDE * (2 * b + 1), lanes + BN_LANE_CHUNK_BYTES, BN_LANE_CHUNK_BYTES);
        }
    }
    w->type = BN_TYPE_I2_S;
    w->rows = rows;
    w->cols = cols;
    w->scale = scale;
    w->data = dst;
    return BN_OK;
}

