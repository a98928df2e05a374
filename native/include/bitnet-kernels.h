// bitnet-kernels.h — the compute layer's C API: weight packing, activation quantization, matmul,
// and the small float ops of a BitNet/LLaMA block. model.c (the forward pass) is written only
// against this header; kernels.c / arch/wasm/*.c implement it.
//
// Conventions (llama2.c style): output pointer first; shapes in comments as (slow, ..., fast);
// a matrix "W (rows, cols)" maps x (cols,) -> y (rows,), rows = GGUF ne1, cols = GGUF ne0.
// Every function returns bn_status (or a size, where 0 means "unsupported / invalid") and never aborts.
// No function allocates in a hot path; the thread pool is the only global state.
#ifndef BITNET_KERNELS_H
#define BITNET_KERNELS_H

#include "bitnet-common.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------
// fp16 helpers (IEEE binary16, round to nearest even; subnormals, inf and NaN handled)
float bn_fp16_to_fp32(bn_fp16 h);
bn_fp16 bn_fp32_to_fp16(float f);

// ---------------------------------------------------------------------------------------------
// Thread pool. Kernels below split their work (matmul by output rows, attention by heads) across
// the pool. n = 1 means "run on the calling thread only". Results are bit-identical for any n.
// Workers spin briefly after a job, then sleep on a futex (no core burnt while idle).
bn_status bn_threads_init(int n_threads);  // (re)start the pool; 1 <= n <= BN_MAX_THREADS
int bn_threads_count(void);
#define BN_MAX_THREADS 16

// ---------------------------------------------------------------------------------------------
// Weights. A bn_weight is a matrix in the kernel's preferred ("packed") layout.
typedef struct {
    int32_t type;   // bn_type of the packed data (I2_S, TQ1_0, TQ2_0, F16, Q8_0, F32)
    int32_t rows;   // output features
    int32_t cols;   // input features
    float scale;    // I2_S per-tensor scale (beta); 1.0 for the other types
    void *data;     // packed bytes, bn_weight_packed_bytes(type, rows, cols) long
} bn_weight;

// Bytes the packed layout of a (rows, cols) matrix of `type` needs; 0 if the type or shape is not
// supported (I2_S: cols % 128 == 0; TQ*: cols % 256 == 0; Q8_0: cols % 32 == 0; F16, F32: any). I2_S,
// TQ*, Q8_0 and F16 interleave rows in groups of 4, so their rows count is rounded up to a multiple of 4
// (same bytes per row as the GGUF). F16: chunks of 8 halves, chunk c of row 4g + i at half
// 4g*pc + 32c + 8i with pc = cols rounded up to a multiple of 8 (zero halves pad the last chunk when
// cols % 8 != 0). F32 is the GGUF layout.
size_t bn_weight_packed_bytes(int type, int rows, int cols);

// Pack a whole I2_S tensor as stored in a GGUF (rows*cols/4 code bytes + 32-byte tail holding the f32
// scale) into `dst` (bn_weight_packed_bytes(I2_S, rows, cols) bytes) and fill `w`.
// BN_ERR_DATA if a code is 3 or the scale is not finite.
bn_status bn_weight_pack_i2s(bn_weight *w, void *dst, const uint8_t *src, int rows, int cols);

// Convert `n_rows` whole rows from the GGUF encoding `src_type` into the packed encoding `dst_type`
// at row offset `row0` of `w` (w->type == dst_type, w->data allocated). Used chunk by chunk while a
// large tensor streams in. Supported: same type (copy / repack for TQ1_0, TQ2_0, F16, F32, Q8_0),
// F16/F32/BF16 -> Q8_0 (ggml's quantize_row_q8_0 rounding), F32 -> F16, BF16 -> F32/F16. Any row0 (the
// Q8_0 and F16 row groups may be filled by several calls); the padding rows of the interleaved types are
// zeroed by the call that writes the last row. BN_ERR_DATA for inf/NaN in F16 (the SIMD f16 dot does
// not propagate them).
bn_status bn_weight_pack_rows(bn_weight *w, int row0, const void *src, int src_type, int n_rows);

// How far into the packed layout of a (rows, cols) matrix of `type` the bn_weight_pack_rows calls for rows
// [0, r) (in row order) may have written: every byte at or past this offset is still untouched. F16, Q8_0:
// whole 4-row groups, in order; F32: whole rows; once r == rows (the padding rows zeroed): all of it. TQ1_0,
// TQ2_0 (block scales stored after all the codes) and I2_S (packed whole): all of it as soon as r > 0.
// 0 for r <= 0 or an unsupported type or shape. (The loader touches the untouched pages while it waits for
// bytes: their first-write page faults are then off the packing's critical path.)
size_t bn_weight_packed_prefix_bytes(int type, int rows, int cols, int r);

// ---------------------------------------------------------------------------------------------
// Activations. Each weight type has one activation encoding (ggml's vec_dot_type):
//   I2_S  -> int8 per row: s = 127/max(max|x|, 1e-5), q = clamp(round_half_even(x*s), -128, 127),
//            plus the row sum of q (bitnet.cpp semantics, spec §2.4)
//   TQ1_0, TQ2_0 -> Q8_K blocks (llama.cpp quantize_row_q8_K semantics)
//   Q8_0  -> Q8_0 blocks (ggml quantize_row_q8_0)
//   F16   -> f16 (x rounded to nearest even half)
//   F32   -> f32 copy
// bn_act_bytes gives the buffer size for n_tokens rows of `cols` values.
size_t bn_act_bytes(int weight_type, int n_tokens, int cols);
bn_status bn_act_quantize(void *act, int weight_type, const float *x, int n_tokens, int cols);  // x (n_tokens, cols)

// y (n_tokens, rows) = act (n_tokens, cols) @ W^T, using the activation encoding of w->type.
// Decode (n_tokens == 1) is matrix-vector; n_tokens > 1 is a real matrix-matrix kernel.
bn_status bn_matmul(float *y, const bn_weight *w, const void *act, int n_tokens);

// ---------------------------------------------------------------------------------------------
// Float ops (all f32 unless stated)

// out (n_ids, cols) = rows `ids` of the embedding table `table` (n_vocab, cols) of type F32/F16/
// BF16/Q8_0/Q4_0/Q4_K/Q6_K (dequantized). BN_ERR_RANGE if an id is outside [0, n_vocab).
bn_status bn_get_rows(float *out, const void *table, int type, int n_vocab, int cols, const int32_t *ids, int n_ids);

// out (n_ids, w->cols) = rows `ids` of a packed weight w (F16, F32, Q8_0 — the F16 and Q8_0 layouts are
// not the GGUF ones), dequantized exactly as bn_get_rows dequantizes the GGUF rows they were packed from: the
// lookup of a tied embedding that shares the head's packed copy. BN_ERR_RANGE if an id is outside
// [0, w->rows); BN_ERR_TYPE for other packed types.
bn_status bn_weight_get_rows(float *out, const bn_weight *w, const int32_t *ids, int n_ids);

// y (n_rows, n) = x / sqrt(mean(x^2) + eps) * w   (sum of squares in double, like ggml)
bn_status bn_rmsnorm(float *y, const float *x, const float *w, int n_rows, int n, float eps);

// NEOX RoPE in place on x (n_tokens, n_heads, head_dim): token t at position pos0+t; the first n_rot
// dims of each head are rotated as pairs (i, i + n_rot/2), theta_i = pos * base^(-2i/n_rot) computed
// like ggml (theta *= theta_scale in float).
bn_status bn_rope_neox(float *x, int n_tokens, int pos0, int n_heads, int head_dim, int n_rot, float freq_base);

// Write rows (n_tokens, row_elems) f32 into an f16 cache (n_ctx, row_elems) at rows [pos0, pos0+n_tokens).
bn_status bn_kv_store(bn_fp16 *cache, const float *x, int n_tokens, int pos0, int row_elems);

// Causal attention with grouped KV heads over an f16 cache, rounding like ggml with an F16 cache:
// q is rounded to f16 before q.k, scores scaled by 1/sqrt(head_dim), softmax in f32, probabilities
// rounded to f16 before the product with v.
//   out (n_tokens, n_head*head_dim); q (n_tokens, n_head, head_dim);
//   k_cache, v_cache (n_ctx, n_head_kv, head_dim); token t attends to positions [0, pos0+t].
//   scratch: bn_attention_scratch_bytes(n_ctx) bytes per thread (n_threads * that in total).
size_t bn_attention_scratch_bytes(int n_ctx);
bn_status bn_attention(float *out, const float *q, const bn_fp16 *k_cache, const bn_fp16 *v_cache, int n_tokens,
                       int pos0, int n_head, int n_head_kv, int head_dim, void *scratch);
// The same over head-major caches (n_head_kv, n_ctx, head_dim), the model's layout (each KV head's rows
// contiguous: streamed sequentially), written by bn_kv_store_hm from rows x (n_tokens, n_head_kv, head_dim).
// Results are bit-identical to bn_attention on the same values. BN_ERR_RANGE if pos0 + n_tokens > n_ctx.
bn_status bn_kv_store_hm(bn_fp16 *cache, const float *x, int n_tokens, int pos0, int n_head_kv, int head_dim, int n_ctx);
bn_status bn_attention_hm(float *out, const float *q, const bn_fp16 *k_cache, const bn_fp16 *v_cache, int n_tokens,
                          int pos0, int n_head, int n_head_kv, int head_dim, int n_ctx, void *scratch);

// out = relu(gate)^2 * up  and  out = silu(gate) * up  (n values; out may alias gate)
bn_status bn_relu2_mul(float *out, const float *gate, const float *up, int n);
bn_status bn_silu_mul(float *out, const float *gate, const float *up, int n);
// y += x ; y *= s (scalar)
bn_status bn_add(float *y, const float *x, int n);
bn_status bn_scale(float *y, float s, int n);

// ---------------------------------------------------------------------------------------------
// Dequantization (reference decoders, used by tests and by bn_get_rows)
bn_status bn_dequantize_rows(float *out, const void *src, int type, int n_rows, int cols);

#ifdef __cplusplus
}
#endif
#endif  // BITNET_KERNELS_H
