// kernels-internal.h — what the kernel sources share but do not export: the packed layouts, the
// activation row layouts, the scalar references (`*_ref`, numerical ground truth for the tests),
// the dispatch table that picks the portable or the SIMD128 version of each hot kernel, and the
// thread pool's fork/join entry point.
#ifndef BN_KERNELS_INTERNAL_H
#define BN_KERNELS_INTERNAL_H

#include <math.h>
#include <string.h>
#include "bitnet-kernels.h"

// ---------------------------------------------------------------------------------------------
// Packed ternary layout ("lane layout"), used for I2_S, TQ2_0 and TQ1_0 alike.
// A row of `cols` codes (0 -> -1, 1 -> 0, 2 -> +1) is cut into chunks of 64 columns, 16 bytes each,
// read as eight little-endian u16 lanes: lane i, bits 2k..2k+1 hold the code of column 64c + 8k + i.
// So `(lane >> 2k) & 3` over the 8 lanes gives the codes of 8 consecutive columns, exactly what
// i32x4.dot_i16x8_s wants next to int16 activations; and `lane & (3 << 2k)` gives them scaled by 4^k,
// which lets the decode kernel extract a field with one instruction (see arch/wasm/simd.c).
// Same 2 bits per weight as the GGUF, so packing is a permutation of the bytes.
#define BN_LANE_CHUNK 64
#define BN_LANE_CHUNK_BYTES 16
// I2_S packed: the lane layout with rows interleaved in groups of BN_I2S_ROWS = 4 — chunk c of row
// 4g + i sits at byte 4g*(cols/4) + 64c + 16i — so a kernel that works on 4 rows at once reads one
// sequential stream (hardware prefetchers follow it; four separate row streams of a few hundred bytes
// each defeat them), and one 64-byte line holds the same 64 columns of 4 rows. Rows are padded to a
// multiple of 4 with zero bytes (their outputs are never written). One row seen alone is a chunk
// sequence with stride BN_I2S_STRIDE.
// TQ1_0/TQ2_0 packed: the codes exactly as I2_S (interleaved, padded rows), then the f32 block scales
// interleaved the same way: group g, block k holds the 4 rows' scales side by side (bn_tq_row_scales;
// padding rows' scales are zero). Same reason: the 4-row TQ decode kernel streaming four separate
// 640-byte rows ran at 2.3 GB/s against 3.8 for one row at a time (a single stream) and 5.5+ on the
// interleaved layout (2560x2560, relaxed SIMD, from DRAM); with row-major scales, each 4-row group also
// read 4 scale rows (with 2 threads, 2.1 GB/s less than I2_S: kernels.mjs tq2_0_decode_stream).
#define BN_I2S_ROWS 4
#define BN_I2S_STRIDE (BN_I2S_ROWS * BN_LANE_CHUNK_BYTES)
static inline int bn_i2s_padded_rows(int rows) { return (rows + BN_I2S_ROWS - 1) / BN_I2S_ROWS * BN_I2S_ROWS; }
// first chunk of row r of a packed I2_S matrix with `cols` columns
static inline const uint8_t *bn_i2s_row(const void *data, int cols, int r) {
    return (const uint8_t *)data + (size_t)(r & ~(BN_I2S_ROWS - 1)) * (size_t)(cols / 4) + (size_t)BN_LANE_CHUNK_BYTES * (r & (BN_I2S_ROWS - 1));
}

// f32 block scales of a packed TQ matrix (padded rows included)
static inline const float *bn_tq_scales(const void *data, int rows, int cols) {
    return (const float *)((const uint8_t *)data + (size_t)bn_i2s_padded_rows(rows) * (size_t)(cols / 4));
}
// row r's first block scale within those scales: block k at [BN_I2S_ROWS * k]; for a row at the start
// of a group, [BN_I2S_ROWS * k .. + 3] are block k's scales of the group's 4 rows
static inline const float *bn_tq_row_scales(const float *scales, int cols, int r) {
    return scales + (size_t)(r & ~(BN_I2S_ROWS - 1)) * (size_t)(cols / QK_K) + (r & (BN_I2S_ROWS - 1));
}

// Q8_0 packed ("4-row interleaved"): rows in groups of BN_Q8_0_ROWS = 4 (the last group padded with zero
// rows), each group a sequence of cols/32 "group blocks" of BN_Q8_0_GROUP_BYTES = 136 bytes: the four
// rows' f16 scales (8 bytes), then the four rows' 32 int8 quants (4 x 32 bytes), block after block,
// group after group: one sequential stream. A kernel loads the 4 scales with one load and the quants
// of each row with load8x8_s; same 34 bytes per block as the GGUF, so no extra memory (besides the
// padding rows). Rows are never split: row r, block b sits in group r / 4 at slot r % 4.
#define BN_Q8_0_ROWS 4
#define BN_Q8_0_GROUP_BYTES (BN_Q8_0_ROWS * (int)sizeof(block_q8_0))
// the group block holding block b of row r (of a packed Q8_0 matrix with nb = cols/32 blocks a row)
static inline uint8_t *bn_q8_0_group_block(const void *data, int nb, int r, int b) {
    return (uint8_t *)data + ((size_t)(r / BN_Q8_0_ROWS) * nb + b) * BN_Q8_0_GROUP_BYTES;
}
static inline bn_fp16 bn_q8_0_scale(const uint8_t *gb, int i) { bn_fp16 d; memcpy(&d, gb + 2 * i, 2); return d; }
static inline const int8_t *bn_q8_0_quants(const uint8_t *gb, int i) { return (const int8_t *)gb + 2 * BN_Q8_0_ROWS + QK8_0 * i; }

// F16 packed ("4-row interleaved", like I2_S): rows in groups of BN_F16_ROWS = 4 (the last group padded
// with zero rows), each row cut into chunks of BN_F16_CHUNK = 8 halves (16 bytes); chunk c of row 4g + i
// sits at half 4g*pc + 32c + 8i, pc = cols rounded up to a multiple of 8 (the last chunk of a row padded
// with zero halves when cols % 8 != 0, so every shape packs; kernels read those columns in a scalar
// tail and never touch the padding). One 64-byte line holds the same 8 columns of the 4 rows, and the
// 4-row decode kernel reads one sequential stream. On the 128256x2560 head (relaxed SIMD, both layouts
// alternating in one process) that was no faster on 1 thread (medians 94-104 ms either way: prefetchers
// follow four 5120-byte rows well, unlike the 640-byte TQ rows) and 4-5% faster on 2 threads. One row seen
// alone is a chunk sequence with stride BN_F16_STRIDE halves: element k of row r is
// bn_f16_row(data, cols, r)[BN_F16_STRIDE * (k / 8) + k % 8]. Attention's f16 KV cache is not packed.
#define BN_F16_ROWS 4
#define BN_F16_CHUNK 8
#define BN_F16_STRIDE (BN_F16_ROWS * BN_F16_CHUNK)
static inline size_t bn_f16_padded_cols(int cols) { return ((size_t)cols + BN_F16_CHUNK - 1) & ~(size_t)(BN_F16_CHUNK - 1); }
// first chunk of row r of a packed F16 matrix with `cols` columns
static inline const bn_fp16 *bn_f16_row(const void *data, int cols, int r) {
    return (const bn_fp16 *)data + (size_t)(r & ~(BN_F16_ROWS - 1)) * bn_f16_padded_cols(cols) + (size_t)BN_F16_CHUNK * (r & (BN_F16_ROWS - 1));
}

// ---------------------------------------------------------------------------------------------
// Activation layouts (bn_act_bytes / bn_act_quantize), one row per token:
//   I2_S : bn_act_i8 header (16 B) | int8 q[cols] | int16 q16[cols]       (q16 = q, widened once)
//   TQ*  : block_q8_K[cols/256] | int16 q16[cols] | int32 qsum[cols/256] (sum of q per block)
//   Q8_0 : block_q8_0[cols/32] (padded to 4 B) | int16 q16[cols] | float d[cols/32] (the block scales as f32)
//   F16  : bn_fp16 h[cols] (padded to 4 B) | float xs[cols] (= h as f32, times 2^100, for SIMD)
//   F32  : float x[cols]
typedef struct {
    float s;      // 127 / max(max|x|, 1e-5)
    int32_t sum;  // sum of q
    int32_t pad[2];
} bn_act_i8;
static_assert(sizeof(bn_act_i8) == 16, "bn_act_i8 size");

#define BN_F16_XSCALE 0x1p100f   // activation pre-scale of the SIMD F16 dot (exact power of two)
#define BN_F16_WSCALE 0x1p-112f  // what the bit-trick f16 -> f32 decode leaves out
#define BN_F16_UNSCALE 0x1p12f   // 2^-100 * 2^112

size_t bn_act_row_bytes(int weight_type, int cols);
// one GGUF I2_S block (128 codes, 32 bytes) -> its two lane-layout chunks c0, c1 (16 bytes each; SIMD128
// where compiled), pack-i2s.c
void bn_i2s_block_to_chunks(uint8_t *c0, uint8_t *c1, const uint8_t *block);
static inline size_t bn_align4(size_t n) { return (n + 3) & ~(size_t)3; }

// ---------------------------------------------------------------------------------------------
// Scalar references (quants.c, matmul.c). They work on the GGUF encodings, never on packed data.
float bn_fp16_to_fp32_ref(bn_fp16 h);
bn_fp16 bn_fp32_to_fp16_ref(float f);
void bn_quantize_row_i8_ref(int8_t *q, float *s, int32_t *sum, const float *x, int n);
// the same, plus q16 = q widened; SIMD128 where compiled (bytes identical to the reference)
void bn_quantize_row_i8(int8_t *q, int16_t *q16, float *s, int32_t *sum, const float *x, int n);
void bn_quantize_row_q8_K_ref(block_q8_K *y, const float *x, int n);
// the same, plus per block q16 = qs widened (QK_K per block, consecutive) and qsum = the sum of qs; SIMD128 where
// compiled (bytes identical to the reference)
void bn_quantize_row_q8_K(block_q8_K *y, int16_t *q16, int32_t *qsum, const float *x, int n);
void bn_quantize_row_q8_0_ref(block_q8_0 *y, const float *x, int n);
int bn_i2s_code_at(const uint8_t *i2s, size_t e);  // code of flat element e of a GGUF I2_S tensor
int bn_tq2_code_at(const block_tq2_0 *b, int j);    // code (0..2) of element j of a TQ2_0 block
int bn_tq1_code_at(const block_tq1_0 *b, int j);
bn_status bn_dequantize_row_ref(float *out, const void *src, int type, int cols);
size_t bn_gguf_row_bytes(int type, int cols);  // bytes of one GGUF row (not I2_S); 0 if unsupported
// y (n_tokens, rows) from the GGUF bytes of W (rows, cols) and f32 activations x (n_tokens, cols)
void bn_matmul_i2s_ref(float *y, const uint8_t *w_gguf, int rows, int cols, const float *x, int n_tokens);
void bn_matmul_tq_ref(float *y, const void *w_gguf, int type, int rows, int cols, const float *x, int n_tokens);
void bn_matmul_q8_0_ref(float *y, const block_q8_0 *w, int rows, int cols, const float *x, int n_tokens);
void bn_matmul_f16_ref(float *y, const bn_fp16 *w, int rows, int cols, const float *x, int n_tokens);
bn_status bn_attention_ref(float *out, const float *q, const bn_fp16 *k_cache, const bn_fp16 *v_cache, int n_tokens,
                           int pos0, int n_head, int n_head_kv, int head_dim);

// ---------------------------------------------------------------------------------------------
// Dispatch: the hot kernels, one portable and (in the wasm build) one SIMD128 set.
// matmul kernels compute rows [r0, r1) of y (n_tokens, w->rows) from an activation buffer.
typedef void (*bn_matmul_rows_fn)(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1);

// Attention (ops.c). One token, nh query heads q (nh, hd) sharing one KV head whose rows start at k and
// v, kv_row elements apart, n_kv of them: out (nh, hd) = f16(softmax(scale * f16(q) . k_j)) . v_j, as
// ggml computes it with an F16 cache. scratch: bn_attention_scratch_bytes(n_ctx >= n_kv) bytes.
#define BN_ATT_MAX_HEAD_DIM 1024
#define BN_ATT_GROUP_MAX 8
typedef void (*bn_attend_fn)(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv,
                             int hd, float scale, void *scratch);
struct bn_kernel_set;
void bn_attend_generic_set(const struct bn_kernel_set *ks, float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v,
                           size_t kv_row, int n_kv, int hd, float scale, void *scratch);
void bn_attend_generic(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                       float scale, void *scratch);
// pf[j] = f16(softmax(s)[j]) as f32 times mult (a power of two); s is overwritten
void bn_softmax_f16(float *pf, float *s, int n, float mult);
void bn_softmax_f16_ref(float *pf, float *s, int n, float mult);  // libm expf (bn_softmax_f16: SIMD128 where compiled)
void bn_round_f16_f32(float *y, const float *x, int n);  // y = x rounded to f16 values (>= 0, finite), SIMD128 where compiled
typedef struct bn_kernel_set {
    const char *name;
    bn_matmul_rows_fn i2s, tq, q8_0, f16, f32;
    // sum_k w[k] * x[k] with xs[k] = x[k] * 2^100 and x[k] f16-exact (the F16 activation layout);
    // every product is exact, only the summation order differs between sets (generic: double)
    float (*dot_f16_xs)(const bn_fp16 *w, const float *xs, int n);
    // y[d] += p * v[d], d < n, p f16-exact (probabilities): bit-identical in every set
    void (*axpy_f16)(float *y, float p, const bn_fp16 *v, int n);
    // attention of one token for nh <= BN_ATT_GROUP_MAX query heads sharing one KV head (ops.c)
    bn_attend_fn attend;
    // benchmark only (bn_bench_dot_peak): `iters` iterations of the set's prefill tile loop body, 3 rows x 2
    // tokens (6 integer dots into 6 accumulators), on operands loaded from src (2 x 80 bytes, one or the other
    // by iteration so nothing is hoisted; L1-resident); returns a checksum, *macs = multiply-adds per
    // iteration. NULL in the generic set (no tile to measure).
    uint32_t (*bench_dot)(const void *src, int iters, int *macs);
} bn_kernel_set;

extern const bn_kernel_set bn_kernels_generic;
#if defined(__wasm_simd128__)
extern const bn_kernel_set bn_kernels_simd128;
// arch/wasm/attention.c
void bn_attend_simd(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                    float scale, void *scratch);
// arch/wasm/ternary.c
void bn_i2s_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1);
void bn_tq_simd(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1);
uint32_t bn_bench_dot_simd(const void *src, int iters, int *macs);
#endif
#if defined(BN_RELAXED_SIMD)
// The -rx flavours (build-wasm.sh defines BN_RELAXED_SIMD): the SIMD128 set with the ternary decode
// from arch/wasm-relaxed (compiled with -mrelaxed-simd by a newer clang and linked in as an object).
void bn_i2s_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1);
void bn_tq_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1);
void bn_f16_relaxed(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1);
void bn_attend_relaxed(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                       float scale, void *scratch);
uint32_t bn_bench_dot_relaxed(const void *src, int iters, int *macs);
extern const bn_kernel_set bn_kernels_relaxed;
#endif
const bn_kernel_set *bn_kernels_active(void);
// 0 = best available (default), 1 = force generic, 2 = force SIMD128 (BN_ERR_ARG where it is not
// compiled in; in the -rx flavours this is the SIMD128 set the relaxed one is compared against).
// Exported for tests/benchmarks.
BN_API int bn_kernels_select(int which);

// ---------------------------------------------------------------------------------------------
// Thread pool (threads.c): run fn(ctx, ith, nth, thread) for every task ith in [0, nth) across the pool
// (any thread, any order; the caller is thread 0 and takes part); returns when all are done. `thread`
// (< the pool size) indexes per-thread scratch. nth = min(pool size x 8, max_tasks), or 1 without a
// pool: results must not depend on it.
typedef void (*bn_task_fn)(void *ctx, int ith, int nth, int thread);
void bn_parallel(bn_task_fn fn, void *ctx, int max_tasks);

#endif  // BN_KERNELS_INTERNAL_H
