// bitnet-common.h — every on-disk and in-memory block layout, declared once, with its size checked.
//
// The tensor types come from ggml (upstream ids) and the bitnet.cpp fork (I2_S = 36). Layouts are
// described in ../shared/docs/bitnet-spec.md §2; this header is the single C source of truth and the
// TypeScript side reads the numbers it needs through bn_abi_* exports, never from a hand copy.
#ifndef BITNET_COMMON_H
#define BITNET_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// BN_API marks the flat C ABI exported from the WebAssembly module (kept alive, not mangled).
#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define BN_API EMSCRIPTEN_KEEPALIVE
#else
#define BN_API
#endif

// Bumped whenever an exported signature or a struct the TS side reads changes.
#define BN_ABI_VERSION 1

typedef uint16_t bn_fp16;  // IEEE binary16 bits

// ggml type ids as stored in GGUF files (fork numbering for I2_S).
enum bn_type {
    BN_TYPE_F32   = 0,
    BN_TYPE_F16   = 1,
    BN_TYPE_Q4_0  = 2,
    BN_TYPE_Q8_0  = 8,
    BN_TYPE_Q4_K  = 12,
    BN_TYPE_Q6_K  = 14,
    BN_TYPE_Q8_K  = 15,
    BN_TYPE_BF16  = 30,
    BN_TYPE_TQ1_0 = 34,
    BN_TYPE_TQ2_0 = 35,
    BN_TYPE_I2_S  = 36,
};

#define QK8_0 32
#define QK_K 256
#define QK_I2S 128  // I2_S block: 128 weights in 32 bytes (x86 layout)

// Q8_0: 32 values, one f16 scale. value = d * qs[i]
typedef struct {
    bn_fp16 d;
    int8_t qs[QK8_0];
} block_q8_0;
static_assert(sizeof(block_q8_0) == 34, "block_q8_0 size");

// Q4_0: 32 values, one f16 scale. low nibbles = first 16 values, high nibbles = last 16; value = d*(q-8)
typedef struct {
    bn_fp16 d;
    uint8_t qs[QK8_0 / 2];
} block_q4_0;
static_assert(sizeof(block_q4_0) == 18, "block_q4_0 size");

// TQ2_0: 256 ternary values as 2-bit codes (low bits first), value = (code-1)*d
typedef struct {
    uint8_t qs[QK_K / 4];
    bn_fp16 d;
} block_tq2_0;
static_assert(sizeof(block_tq2_0) == 66, "block_tq2_0 size");

// TQ1_0: 256 ternary values, base-3 packed: 5 trits/byte in qs, 4 trits/byte in qh
typedef struct {
    uint8_t qs[(QK_K - 4 * QK_K / 64) / 5];  // 48
    uint8_t qh[QK_K / 64];                   // 4
    bn_fp16 d;
} block_tq1_0;
static_assert(sizeof(block_tq1_0) == 54, "block_tq1_0 size");

// Q8_K: llama.cpp's activation block for the K/TQ types; d is float, bsums are sums of 16-value groups
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;
static_assert(sizeof(block_q8_K) == 292, "block_q8_K size");

// Q4_K: 256 values in 8 sub-blocks with 6-bit scales/mins
typedef struct {
    bn_fp16 d;
    bn_fp16 dmin;
    uint8_t scales[12];
    uint8_t qs[QK_K / 2];
} block_q4_K;
static_assert(sizeof(block_q4_K) == 144, "block_q4_K size");

// Q6_K: 256 values; note d is last
typedef struct {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    bn_fp16 d;
} block_q6_K;
static_assert(sizeof(block_q6_K) == 210, "block_q6_K size");

// I2_S (bitnet.cpp x86 layout): a (rows x cols) ternary matrix stored row-major in 128-weight blocks of
// 32 bytes; byte j of a block holds weights j, 32+j, 64+j, 96+j in bits 7-6, 5-4, 3-2, 1-0 (MSB first).
// Codes: 0 -> -1, 1 -> 0, 2 -> +1. After rows*cols/4 bytes: float32 per-tensor scale, then 28 pad bytes.
#define BN_I2S_TAIL_BYTES 32
static inline size_t bn_i2s_file_bytes(size_t rows, size_t cols) { return rows * cols / 4 + BN_I2S_TAIL_BYTES; }

// Widest matrix the kernels take (columns = the inner dimension of a matmul). The matmul kernels keep
// per-call scratch proportional to it on the stack (at most 256 KB at this width; the main thread has 1 MB,
// pool threads 2 MB), so bn_weight_packed_bytes returns 0 above it and every packing or matmul call refuses
// the shape (BN_ERR_SHAPE) instead of overrunning a stack. The widest inner dimension of a published
// LLaMA-family model is 53248 (405B's feed-forward); BitNet models go to 14336.
#define BN_MAX_COLS 32768

// Status codes returned by every exported function (never abort).
typedef enum {
    BN_OK = 0,
    BN_ERR_ARG = 1,       // null pointer, negative or zero size
    BN_ERR_SHAPE = 2,     // a dimension is not a multiple of what the type needs, or wider than BN_MAX_COLS
    BN_ERR_TYPE = 3,      // unsupported tensor type for this operation
    BN_ERR_NOMEM = 4,     // allocation failed
    BN_ERR_THREADS = 5,   // thread pool could not start or thread count out of range
    BN_ERR_STATE = 6,     // call out of order (model not ready, context full, ...)
    BN_ERR_RANGE = 7,     // index out of range (token id, position)
    BN_ERR_DATA = 8,      // invalid data (e.g. I2_S code 3, non-finite scale)
} bn_status;

#ifdef __cplusplus
}
#endif
#endif  // BITNET_COMMON_H
