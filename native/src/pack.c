// pack.c — from GGUF encodings to the kernels' packed weight layouts (see kernels-internal.h),
// and the activation buffers every matmul reads (bn_act_bytes / bn_act_quantize).
#include "kernels-internal.h"

// ---------------------------------------------------------------------------------------------
// Packed weight sizes

static int is_ternary(int type) { return type == BN_TYPE_I2_S || type == BN_TYPE_TQ1_0 || type == BN_TYPE_TQ2_0; }

BN_API size_t bn_weight_packed_bytes(int type, int rows, int cols) {
    if (rows <= 0 || cols <= 0 || cols > BN_MAX_COLS) return 0;
    double n;
    switch (type) {
    case BN_TYPE_I2_S: if (cols % QK_I2S) return 0; n = (double)bn_i2s_padded_rows(rows) * cols / 4; break;
    case BN_TYPE_TQ1_0: case BN_TYPE_TQ2_0:
        if (cols % QK_K) return 0;
        n = (double)bn_i2s_padded_rows(rows) * cols / 4 + (double)bn_i2s_padded_rows(rows) * (cols / QK_K) * 4;
        break;
    case BN_TYPE_Q8_0:  // 4-row interleaved: rows padded to a multiple of 4
        if (cols % QK8_0) return 0;
        n = (double)(((long long)rows + BN_Q8_0_ROWS - 1) / BN_Q8_0_ROWS * BN_Q8_0_ROWS) * (cols / QK8_0) * sizeof(block_q8_0);
        break;
    case BN_TYPE_F16: n = (double)bn_i2s_padded_rows(rows) * bn_f16_padded_cols(cols) * 2; break;  // 4-row interleaved
    case BN_TYPE_F32: n = (double)rows * cols * 4; break;
    default: return 0;
    }
    return n > (double)(SIZE_MAX / 2) ? 0 : (size_t)n;
}

// ---------------------------------------------------------------------------------------------
// Ternary packing into the lane layout

// Write the codes of one row chunk of 64 columns, codes[0..63], as 8 u16 lanes (little endian).
static inline void put_chunk(uint8_t *dst, const uint8_t *codes) {
    for (int i = 0; i < 8; i++) {
        unsigned lane = 0;
        for (int k = 0; k < 8; k++) lane |= (unsigned)codes[8 * k + i] << (2 * k);
        dst[2 * i] = (uint8_t)lane;
        dst[2 * i + 1] = (uint8_t)(lane >> 8);
    }
}

// One TQ row (cols/256 GGUF blocks) -> lane-layout codes (chunk c at codes_out + BN_I2S_STRIDE * c,
// kernels-internal.h) + f32 scales.
// codes_out: the row's first chunk; d_out: its first block scale (block b at [BN_I2S_ROWS * b])
static void pack_tq_row(uint8_t *codes_out, float *d_out, const void *src, int type, int cols) {
    uint8_t codes[QK_K];
    for (int b = 0; b < cols / QK_K; b++) {
        if (type == BN_TYPE_TQ2_0) {
            // each half of a TQ2_0 block is an I2_S block with the 2-bit fields of every byte in the
            // opposite order (TQ2_0: element 32g + m at bits 2g of byte m; I2_S: at bits 6 - 2g): reverse
            // them and reuse the I2_S bit-transpose, no per-element decoding
            const block_tq2_0 *blk = (const block_tq2_0 *)src + b;
            for (int h = 0; h < 2; h++) {
                uint8_t rev[32];
                for (int m = 0; m < 32; m++) {
                    const uint8_t v = blk->qs[32 * h + m];
                    rev[m] = (uint8_t)((v & 0x03) << 6 | (v & 0x0c) << 2 | (v & 0x30) >> 2 | (v & 0xc0) >> 6);
                }
                uint8_t *c0 = codes_out + (size_t)BN_I2S_STRIDE * (4 * b + 2 * h);
                bn_i2s_block_to_chunks(c0, c0 + BN_I2S_STRIDE, rev);
            }
            d_out[BN_I2S_ROWS * b] = bn_fp16_to_fp32(blk->d);
        } else {
            const block_tq1_0 *blk = (const block_tq1_0 *)src + b;
            for (int j = 0; j < QK_K; j++) codes[j] = (uint8_t)bn_tq1_code_at(blk, j);
            d_out[BN_I2S_ROWS * b] = bn_fp16_to_fp32(blk->d);
            for (int c = 0; c < QK_K / BN_LANE_CHUNK; c++) put_chunk(codes_out + (size_t)BN_I2S_STRIDE * (4 * b + c), codes + 64 * c);
        }
    }
}

typedef struct {
    bn_weight *w;
    int row0, n_rows;
    const uint8_t *s;
    size_t src_rb;
} tq_pack_task;

// rows [row0 + n_rows * ith / nth, ...) of a TQ1_0/TQ2_0 pack (a pool task)
static void pack_tq_worker(void *arg, int ith, int nth, int thread) {
    (void)thread;
    const tq_pack_task *t = arg;
    const int cols = t->w->cols, r0 = (int)((int64_t)t->n_rows * ith / nth), r1 = (int)((int64_t)t->n_rows * (ith + 1) / nth);
    float *d = (float *)bn_tq_scales(t->w->data, t->w->rows, cols);
    for (int r = r0; r < r1; r++) {
        const int row = t->row0 + r;
        pack_tq_row((uint8_t *)bn_i2s_row(t->w->data, cols, row), (float *)bn_tq_row_scales(d, cols, row), t->s + t->src_rb * r, t->w->type, cols);
    }
}

// ---------------------------------------------------------------------------------------------
// Row-wise packing of the other types

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
// F16 row -> Q8_0 blocks with SIMD128, bit-identical to bn_dequantize_row_ref +
// bn_quantize_row_q8_0_ref (which blocks holding inf/NaN still go through, value for value):
// f16 -> f32 as (sign | value bits << 13) * 2^112 (exact for normals and subnormals alike: wasm keeps f32
// subnormals), the same IEEE max / divide / multiply, and round-half-away-from-zero done as the
// reference does it (t = trunc(v); |v - t| >= 0.5 ? t + copysign(1, v) : t), saturating narrows
// standing in for the clamp to [-128, 127].
static void f16_row_to_q8_0_simd(block_q8_0 *y, const bn_fp16 *h, int cols) {
    const v128_t exp_mask = wasm_i16x8_splat(0x7c00), f32_mask = wasm_i32x4_splat((int32_t)0x8fffe000u);
    const v128_t sign32 = wasm_i32x4_splat((int32_t)0x80000000u), one = wasm_f32x4_splat(1.0f), half = wasm_f32x4_splat(0.5f);
    const v128_t scale = wasm_f32x4_splat(0x1p112f);
    for (int b = 0; b < cols / QK8_0; b++, h += QK8_0) {
        v128_t hv[4], special = wasm_i16x8_splat(0);
        for (int i = 0; i < 4; i++) {
            hv[i] = wasm_v128_load(h + 8 * i);
            special = wasm_v128_or(special, wasm_i16x8_eq(wasm_v128_and(hv[i], exp_mask), exp_mask));
        }
        if (wasm_v128_any_true(special)) {  // inf / NaN in this block: the reference, value for value
            float tmp[QK8_0];
            bn_dequantize_row_ref(tmp, h, BN_TYPE_F16, QK8_0);
            bn_quantize_row_q8_0_ref(y + b, tmp, QK8_0);
            continue;
        }
        v128_t x[8], amax = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < 4; i++) {
            const v128_t lo = wasm_i32x4_extend_low_i16x8(hv[i]), hi = wasm_i32x4_extend_high_i16x8(hv[i]);
            // sign-extended, << 13: bit 31 is the sign, bits 13..27 the 15 value bits (28..30: masked)
            x[2 * i] = wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shl(lo, 13), f32_mask), scale);
            x[2 * i + 1] = wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shl(hi, 13), f32_mask), scale);
            amax = wasm_f32x4_max(amax, wasm_f32x4_max(wasm_f32x4_abs(x[2 * i]), wasm_f32x4_abs(x[2 * i + 1])));
        }
        amax = wasm_f32x4_max(amax, wasm_i32x4_shuffle(amax, amax, 2, 3, 0, 1));
        amax = wasm_f32x4_max(amax, wasm_i32x4_shuffle(amax, amax, 1, 0, 3, 2));
        const float d = wasm_f32x4_extract_lane(amax, 0) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = bn_fp32_to_fp16(d);
        const v128_t idv = wasm_f32x4_splat(id);
        v128_t q[8];
        for (int i = 0; i < 8; i++) {
            const v128_t v = wasm_f32x4_mul(x[i], idv), t = wasm_f32x4_trunc(v);
            const v128_t away = wasm_f32x4_ge(wasm_f32x4_abs(wasm_f32x4_sub(v, t)), half);
            const v128_t step = wasm_v128_or(wasm_v128_and(v, sign32), one);  // copysign(1, v)
            q[i] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(t, wasm_v128_and(step, away)));
        }
        wasm_v128_store(y[b].qs, wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q[0], q[1]), wasm_i16x8_narrow_i32x4(q[2], q[3])));
        wasm_v128_store(y[b].qs + 16, wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q[4], q[5]), wasm_i16x8_narrow_i32x4(q[6], q[7])));
    }
}
#endif

// Block b of packed row r <- one GGUF Q8_0 block (kernels-internal.h: 4-row interleaved layout)
static inline void put_q8_0_block(void *data, int nb, int r, int b, const block_q8_0 *blk) {
    uint8_t *gb = bn_q8_0_group_block(data, nb, r, b);
    const int i = r % BN_Q8_0_ROWS;
    memcpy(gb + 2 * i, &blk->d, 2);
    memcpy(gb + 2 * BN_Q8_0_ROWS + QK8_0 * i, blk->qs, QK8_0);
}

typedef struct {
    bn_weight *w;
    int row0, n_rows, src_type;
    const uint8_t *s;
    size_t src_rb;
} q8_pack_task;

// rows [n_rows * ith / nth, n_rows * (ith + 1) / nth) of the chunk: rows are independent (each writes
// its own scale and quant bytes of its group), so the pool can share them
static void pack_q8_0_worker(void *arg, int ith, int nth, int thread) {
    (void)thread;
    const q8_pack_task *t = arg;
    const int cols = t->w->cols, nb = cols / QK8_0, src_type = t->src_type;
    enum { PIECE = 256 };
    float tmp[PIECE];
    block_q8_0 q[PIECE / QK8_0];
    const int es = src_type == BN_TYPE_F32 ? 4 : 2;
    const int r0 = (int)((int64_t)t->n_rows * ith / nth), r1 = (int)((int64_t)t->n_rows * (ith + 1) / nth);
    for (int r = r0; r < r1; r++) {
        const int row = t->row0 + r;
        const uint8_t *srow = t->s + t->src_rb * r;
        for (int c0 = 0; c0 < cols; c0 += PIECE) {
            const int n = cols - c0 < PIECE ? cols - c0 : PIECE;  // multiple of 32
            if (src_type == BN_TYPE_Q8_0) {
                memcpy(q, srow + (size_t)(c0 / QK8_0) * sizeof(block_q8_0), (size_t)(n / QK8_0) * sizeof(block_q8_0));
            } else {
#if defined(__wasm_simd128__)
                if (src_type == BN_TYPE_F16) {
                    f16_row_to_q8_0_simd(q, (const bn_fp16 *)srow + c0, n);
                } else
#endif
                {
                    bn_dequantize_row_ref(tmp, srow + (size_t)c0 * es, src_type, n);
                    bn_quantize_row_q8_0_ref(q, tmp, n);
                }
            }
            for (int b = 0; b < n / QK8_0; b++) put_q8_0_block(t->w->data, nb, row, c0 / QK8_0 + b, &q[b]);
        }
    }
}

// Rows [row0, row0 + n_rows) of a packed Q8_0 matrix from Q8_0 (copied block by block) or F16/F32/BF16
// (quantized like ggml's quantize_row_q8_0), in pieces of 256 columns (no allocation). The padding
// rows of the last group are zeroed when the last real row is written.
static bn_status pack_q8_0_rows(bn_weight *w, int row0, const uint8_t *s, size_t src_rb, int src_type, int n_rows) {
    if (src_type != BN_TYPE_Q8_0 && src_type != BN_TYPE_F16 && src_type != BN_TYPE_F32 && src_type != BN_TYPE_BF16) return BN_ERR_TYPE;
    const int nb = w->cols / QK8_0;
    q8_pack_task t = {w, row0, n_rows, src_type, s, src_rb};
    // re-quantizing the tied F16 head (128256 rows) is a second of work on one thread
    bn_parallel(pack_q8_0_worker, &t, n_rows >= 64 ? n_rows / 32 : 1);
    if (row0 + n_rows == w->rows) {
        const block_q8_0 zero = {0};
        for (int row = w->rows; row % BN_Q8_0_ROWS; row++)
            for (int b = 0; b < nb; b++) put_q8_0_block(w->data, nb, row, b, &zero);
    }
    return BN_OK;
}

// F16 packing (kernels-internal.h: 4-row interleaved, chunks of 8 halves). Columns are converted in
// pieces of F16_PIECE (a multiple of 8, so pieces start on chunk boundaries).
enum { F16_PIECE = 256 };

// halves h[0..n) = columns [c0, c0 + n) of the packed row whose first chunk is `row` (c0 % 8 == 0); a
// last partial chunk is completed with zero halves
static inline void put_f16_piece(bn_fp16 *row, int c0, const bn_fp16 *h, int n) {
    bn_fp16 *dst = row + (size_t)BN_F16_STRIDE * (c0 / BN_F16_CHUNK);
    int j = 0;
    for (; j + BN_F16_CHUNK <= n; j += BN_F16_CHUNK, dst += BN_F16_STRIDE) memcpy(dst, h + j, BN_F16_CHUNK * 2);
    if (j < n) {
        memset(dst, 0, BN_F16_CHUNK * 2);
        memcpy(dst, h + j, (size_t)(n - j) * 2);
    }
}

typedef struct {
    bn_weight *w;
    int row0, n_rows, src_type;
    const uint8_t *s;
    size_t src_rb;
    int bad;  // set (atomically) when a value is inf/NaN after conversion
} f16_pack_task;

#if defined(__wasm_simd128__)
// The whole chunks of an F16 source row straight into their packed places, checking for inf/NaN (all
// exponent bits set) in the same pass; nonzero when there is one. A plain copy: the scalar path (memcpy
// into a piece, a per-half check, memcpy out) ran at 0.75 GB/s on the 657 MB tied head.
static unsigned f16_row_put_simd(bn_fp16 *row, const bn_fp16 *src, int n_chunks) {
    const v128_t e = wasm_i16x8_splat(0x7c00);
    v128_t bad = wasm_i16x8_splat(0);
    for (int c = 0; c < n_chunks; c++) {
        const v128_t v = wasm_v128_load(src + BN_F16_CHUNK * c);
        bad = wasm_v128_or(bad, wasm_i16x8_eq(wasm_v128_and(v, e), e));
        wasm_v128_store(row + (size_t)BN_F16_STRIDE * c, v);
    }
    return wasm_v128_any_true(bad);
}
#endif

static void pack_f16_worker(void *arg, int ith, int nth, int thread) {
    (void)thread;
    f16_pack_task *t = arg;
    const int cols = t->w->cols, src_type = t->src_type;
    float tmp[F16_PIECE];
    bn_fp16 h[F16_PIECE];
    const int r0 = (int)((int64_t)t->n_rows * ith / nth), r1 = (int)((int64_t)t->n_rows * (ith + 1) / nth);
    for (int r = r0; r < r1; r++) {
        const uint8_t *srow = t->s + t->src_rb * r;
        bn_fp16 *row = (bn_fp16 *)bn_f16_row(t->w->data, cols, t->row0 + r);
        int c_start = 0;  // first column left to the piece loop
#if defined(__wasm_simd128__)
        if (src_type == BN_TYPE_F16) {
            if (f16_row_put_simd(row, (const bn_fp16 *)srow, cols / BN_F16_CHUNK)) {
                __atomic_store_n(&t->bad, 1, __ATOMIC_RELAXED);
                return;
            }
            c_start = cols / BN_F16_CHUNK * BN_F16_CHUNK;
        }
#endif
        for (int c0 = c_start; c0 < cols; c0 += F16_PIECE) {
            const int n = cols - c0 < F16_PIECE ? cols - c0 : F16_PIECE;
            unsigned special = 0;
            if (src_type == BN_TYPE_F16) {
                memcpy(h, srow + (size_t)c0 * 2, (size_t)n * 2);
            } else {
                bn_dequantize_row_ref(tmp, srow + (size_t)c0 * (src_type == BN_TYPE_F32 ? 4 : 2), src_type, n);
                for (int i = 0; i < n; i++) h[i] = bn_fp32_to_fp16(tmp[i]);
            }
            for (int i = 0; i < n; i++) special |= (h[i] & 0x7c00) == 0x7c00;
            if (special) {
                __atomic_store_n(&t->bad, 1, __ATOMIC_RELAXED);
                return;
            }
            put_f16_piece(row, c0, h, n);
        }
    }
}

// Rows [row0, row0 + n_rows) of a packed F16 matrix from F16 (copied) or F32/BF16 (rounded to nearest
// even half). BN_ERR_DATA on inf/NaN (also after rounding): the SIMD f16 dot does not propagate them.
// The padding rows of the last group are zeroed when the last real row is written.
static bn_status pack_f16_rows(bn_weight *w, int row0, const uint8_t *s, size_t src_rb, int src_type, int n_rows) {
    if (src_type != BN_TYPE_F16 && src_type != BN_TYPE_F32 && src_type != BN_TYPE_BF16) return BN_ERR_TYPE;
    f16_pack_task t = {w, row0, n_rows, src_type, s, src_rb, 0};
    // the tied F16 head: 657 MB of 16-byte pieces to place
    bn_parallel(pack_f16_worker, &t, n_rows >= 256 ? n_rows / 128 : 1);
    if (t.bad) return BN_ERR_DATA;
    if (row0 + n_rows == w->rows) {
        const size_t pc = bn_f16_padded_cols(w->cols);
        for (int row = w->rows; row % BN_F16_ROWS; row++)
            for (size_t c = 0; c < pc / BN_F16_CHUNK; c++) memset((bn_fp16 *)bn_f16_row(w->data, w->cols, row) + BN_F16_STRIDE * c, 0, BN_F16_CHUNK * 2);
    }
    return BN_OK;
}

BN_API bn_status bn_weight_pack_rows(bn_weight *w, int row0, const void *src, int src_type, int n_rows) {
    if (!w || !w->data || !src || n_rows <= 0 || row0 < 0) return BN_ERR_ARG;
    if (w->rows <= 0 || w->cols <= 0 || row0 > w->rows - n_rows) return BN_ERR_RANGE;
    const int cols = w->cols, dt = w->type;
    if (bn_weight_packed_bytes(dt, w->rows, cols) == 0) return dt == BN_TYPE_I2_S || bn_weight_packed_bytes(dt, 1, 256) ? BN_ERR_SHAPE : BN_ERR_TYPE;
    const size_t src_rb = bn_gguf_row_bytes(src_type, cols);
    if (src_rb == 0) return BN_ERR_TYPE;
    const uint8_t *s = src;
    if (is_ternary(dt)) {
        if (dt == BN_TYPE_I2_S || src_type != dt) return BN_ERR_TYPE;  // I2_S: bn_weight_pack_i2s
        uint8_t *codes = w->data;
        tq_pack_task t = {w, row0, n_rows, s, src_rb};
        bn_parallel(pack_tq_worker, &t, n_rows >= 64 ? n_rows / 32 : 1);  // rows are independent
        for (int row = w->rows; row0 + n_rows == w->rows && row % BN_I2S_ROWS; row++) {  // padding rows: zero codes and scales
            for (int c = 0; c < cols / BN_LANE_CHUNK; c++) memset((uint8_t *)bn_i2s_row(codes, cols, row) + (size_t)BN_I2S_STRIDE * c, 0, BN_LANE_CHUNK_BYTES);
            float *ds = (float *)bn_tq_row_scales(bn_tq_scales(codes, w->rows, cols), cols, row);
            for (int b = 0; b < cols / QK_K; b++) ds[BN_I2S_ROWS * b] = 0.0f;
        }
        return BN_OK;
    }
    if (dt == BN_TYPE_Q8_0) return pack_q8_0_rows(w, row0, s, src_rb, src_type, n_rows);
    if (dt == BN_TYPE_F16) return pack_f16_rows(w, row0, s, src_rb, src_type, n_rows);
    if (dt != BN_TYPE_F32) return BN_ERR_TYPE;
    const size_t dst_rb = (size_t)cols * 4;
    uint8_t *out = (uint8_t *)w->data + dst_rb * (size_t)row0;
    if (src_type == BN_TYPE_F32) {  // the packed F32 layout is the GGUF layout
        memcpy(out, src, dst_rb * (size_t)n_rows);
        return BN_OK;
    }
    if (src_type != BN_TYPE_F16 && src_type != BN_TYPE_BF16) return BN_ERR_TYPE;
    // F16/BF16 widened row by row straight into place
    for (int r = 0; r < n_rows; r++) bn_dequantize_row_ref((float *)(out + dst_rb * r), s + src_rb * r, src_type, cols);
    return BN_OK;
}

BN_API size_t bn_weight_packed_prefix_bytes(int type, int rows, int cols, int r) {
    const size_t all = bn_weight_packed_bytes(type, rows, cols);
    if (all == 0 || r <= 0) return 0;
    if (r >= rows) return all;
    switch (type) {
    case BN_TYPE_F16: return (size_t)((r + BN_F16_ROWS - 1) / BN_F16_ROWS) * BN_F16_ROWS * bn_f16_padded_cols(cols) * 2;
    case BN_TYPE_Q8_0: return (size_t)((r + BN_Q8_0_ROWS - 1) / BN_Q8_0_ROWS) * (size_t)(cols / QK8_0) * BN_Q8_0_GROUP_BYTES;
    case BN_TYPE_F32: return (size_t)r * cols * 4;
    default: return all;
    }
}

// ---------------------------------------------------------------------------------------------
// Activations

size_t bn_act_row_bytes(int weight_type, int cols) {
    if (cols <= 0) return 0;
    const size_t c = (size_t)cols;
    switch (weight_type) {
    case BN_TYPE_I2_S: return cols % QK_I2S ? 0 : sizeof(bn_act_i8) + c + 2 * c;
    case BN_TYPE_TQ1_0: case BN_TYPE_TQ2_0: return cols % QK_K ? 0 : (c / QK_K) * (sizeof(block_q8_K) + 4) + 2 * c;
    case BN_TYPE_Q8_0: return cols % QK8_0 ? 0 : bn_align4((c / QK8_0) * sizeof(block_q8_0)) + 2 * c + 4 * (c / QK8_0);
    case BN_TYPE_F16: return bn_align4(2 * c) + 4 * c;
    case BN_TYPE_F32: return 4 * c;
    default: return 0;
    }
}

BN_API size_t bn_act_bytes(int weight_type, int n_tokens, int cols) {
    const size_t rb = bn_act_row_bytes(weight_type, cols);
    if (rb == 0 || n_tokens <= 0) return 0;
    const double n = (double)rb * n_tokens;
    return n > (double)(SIZE_MAX / 2) ? 0 : (size_t)n;
}

BN_API bn_status bn_act_quantize(void *act, int weight_type, const float *x, int n_tokens, int cols) {
    if (!act || !x || n_tokens <= 0 || cols <= 0) return BN_ERR_ARG;
    const size_t rb = bn_act_row_bytes(weight_type, cols);
    if (rb == 0) return bn_act_row_bytes(weight_type, 256 * 128) ? BN_ERR_SHAPE : BN_ERR_TYPE;
    for (int t = 0; t < n_tokens; t++) {
        uint8_t *row = (uint8_t *)act + rb * t;
        const float *xr = x + (size_t)t * cols;
        switch (weight_type) {
        case BN_TYPE_I2_S: {
            bn_act_i8 *h = (bn_act_i8 *)row;
            int8_t *q = (int8_t *)(row + sizeof(bn_act_i8));
            int16_t *q16 = (int16_t *)(q + cols);
            bn_quantize_row_i8(q, q16, &h->s, &h->sum, xr, cols);
            h->pad[0] = h->pad[1] = 0;
        } break;
        case BN_TYPE_TQ1_0: case BN_TYPE_TQ2_0: {
            block_q8_K *b = (block_q8_K *)row;
            int16_t *q16 = (int16_t *)(row + (size_t)(cols / QK_K) * sizeof(block_q8_K));
            bn_quantize_row_q8_K(b, q16, (int32_t *)(q16 + cols), xr, cols);
        } break;
        case BN_TYPE_Q8_0: {
            block_q8_0 *b = (block_q8_0 *)row;
            int16_t *q16 = (int16_t *)(row + bn_align4((size_t)(cols / QK8_0) * sizeof(block_q8_0)));
            float *d = (float *)(q16 + cols);
            bn_quantize_row_q8_0_ref(b, xr, cols);
            for (int i = 0; i < cols; i++) q16[i] = b[i / QK8_0].qs[i % QK8_0];
            for (int k = 0; k < cols / QK8_0; k++) d[k] = bn_fp16_to_fp32(b[k].d);
        } break;
        case BN_TYPE_F16: {
            bn_fp16 *h = (bn_fp16 *)row;
            float *xs = (float *)(row + bn_align4((size_t)2 * cols));
            for (int i = 0; i < cols; i++) {
                h[i] = bn_fp32_to_fp16(xr[i]);
                xs[i] = bn_fp16_to_fp32(h[i]) * BN_F16_XSCALE;
            }
        } break;
        case BN_TYPE_F32: memcpy(row, xr, (size_t)cols * 4); break;
        }
    }
    return BN_OK;
}
