// test_head.c — the output-head weight types on the host (portable kernels): the packed Q8_0 layout
// (4-row interleaved, kernels-internal.h) byte for byte from every source type bn_weight_pack_rows
// accepts and for any row chunking, bn_weight_packed_bytes, the portable Q8_0 kernel against the GGUF
// reference bn_matmul_q8_0_ref (bit-exact: same per-block order and rounding), and the embedding
// lookup from the packed copy (bn_weight_get_rows) against bn_get_rows on the GGUF blocks; the same for
// the packed F16 layout (4-row interleaved, kernels-internal.h) and its portable kernel.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "test-util.h"
#include "../src/kernels-internal.h"

// packed offset of block b of row r, written out from the layout's definition (not pack.c's helpers)
static size_t q8_offset(int r, int b, int nb) { return ((size_t)(r / 4) * nb + b) * 136; }

static uint16_t bf16_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

// A (rows, cols) test matrix in F32, F16, BF16, plus its GGUF Q8_0 quantization from each source.
typedef struct {
    int rows, cols, nb;
    float *f32;
    bn_fp16 *f16;
    uint16_t *bf16;
    block_q8_0 *q_f32, *q_f16, *q_bf16;  // GGUF Q8_0 rows quantized by the reference from each source
} mat;

static mat make_mat(uint64_t *s, int rows, int cols) {
    mat m = {rows, cols, cols / QK8_0, 0, 0, 0, 0, 0, 0};
    const size_t n = (size_t)rows * cols;
    m.f32 = malloc(n * 4);
    m.f16 = malloc(n * 2);
    m.bf16 = malloc(n * 2);
    m.q_f32 = malloc((n / QK8_0) * sizeof(block_q8_0));
    m.q_f16 = malloc((n / QK8_0) * sizeof(block_q8_0));
    m.q_bf16 = malloc((n / QK8_0) * sizeof(block_q8_0));
    for (size_t i = 0; i < n; i++) {
        m.f32[i] = (test_rng_uniform(s) * 2 - 1) * (i % 97 == 0 ? 3.0f : 0.1f);
        m.f16[i] = bn_fp32_to_fp16(m.f32[i]);
        m.bf16[i] = bf16_of(m.f32[i]);
    }
    float *tmp = malloc((size_t)cols * 4);
    for (int r = 0; r < rows; r++) {
        const size_t o = (size_t)r * cols;
        bn_quantize_row_q8_0_ref(m.q_f32 + (size_t)r * m.nb, m.f32 + o, cols);
        bn_dequantize_row_ref(tmp, m.f16 + o, BN_TYPE_F16, cols);
        bn_quantize_row_q8_0_ref(m.q_f16 + (size_t)r * m.nb, tmp, cols);
        bn_dequantize_row_ref(tmp, m.bf16 + o, BN_TYPE_BF16, cols);
        bn_quantize_row_q8_0_ref(m.q_bf16 + (size_t)r * m.nb, tmp, cols);
    }
    free(tmp);
    return m;
}

static void free_mat(mat *m) {
    free(m->f32); free(m->f16); free(m->bf16); free(m->q_f32); free(m->q_f16); free(m->q_bf16);
}

// every byte of a packed Q8_0 matrix against the GGUF blocks g; padding rows must be zero
static size_t layout_diffs(const uint8_t *p, const block_q8_0 *g, int rows, int nb) {
    size_t bad = 0;
    for (int r = 0; r < (rows + 3) / 4 * 4; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *gb = p + q8_offset(r, b, nb);
            block_q8_0 want;
            if (r < rows) want = g[(size_t)r * nb + b];
            else memset(&want, 0, sizeof want);
            bad += memcmp(gb + 2 * (r % 4), &want.d, 2) != 0;
            bad += memcmp(gb + 8 + 32 * (r % 4), want.qs, 32) != 0;
        }
    return bad;
}

static void test_layout(uint64_t *s, int rows, int cols) {
    mat m = make_mat(s, rows, cols);
    const size_t bytes = bn_weight_packed_bytes(BN_TYPE_Q8_0, rows, cols);
    TEST_CHECK(bytes == (size_t)((rows + 3) / 4 * 4) * m.nb * sizeof(block_q8_0), "packed bytes %dx%d = %zu", rows, cols, bytes);
    uint8_t *p = malloc(bytes);
    const void *srcs[4] = {m.q_f16, m.f16, m.f32, m.bf16};
    const int types[4] = {BN_TYPE_Q8_0, BN_TYPE_F16, BN_TYPE_F32, BN_TYPE_BF16};
    const block_q8_0 *want[4] = {m.q_f16, m.q_f16, m.q_f32, m.q_bf16};
    const int chunks[3] = {rows, 1, 3};  // whole tensor; row by row; chunks starting off the 4-row grid
    for (int k = 0; k < 4; k++)
        for (int c = 0; c < 3; c++) {
            memset(p, 0xA5, bytes);
            bn_weight w = {BN_TYPE_Q8_0, rows, cols, 1.0f, p};
            const size_t rb = bn_gguf_row_bytes(types[k], cols);
            bn_status st = BN_OK;
            // chunks in reverse order: the padding must not depend on the last chunk coming last
            for (int r0 = (rows - 1) / chunks[c] * chunks[c]; r0 >= 0 && !st; r0 -= chunks[c]) {
                const int n = rows - r0 < chunks[c] ? rows - r0 : chunks[c];
                st = bn_weight_pack_rows(&w, r0, (const uint8_t *)srcs[k] + rb * r0, types[k], n);
            }
            TEST_CHECK(st == BN_OK, "pack %dx%d from type %d, chunks of %d: status %d", rows, cols, types[k], chunks[c], st);
            const size_t bad = layout_diffs(p, want[k], rows, m.nb);
            TEST_CHECK(bad == 0, "pack %dx%d from type %d, chunks of %d: %zu fields differ from the layout", rows, cols, types[k], chunks[c], bad);
        }
    free(p);
    free_mat(&m);
}

// the portable Q8_0 kernel on the packed layout == bn_matmul_q8_0_ref on the GGUF blocks, bit for bit
static void test_matmul(uint64_t *s, int rows, int cols, int n_tokens) {
    mat m = make_mat(s, rows, cols);
    uint8_t *p = malloc(bn_weight_packed_bytes(BN_TYPE_Q8_0, rows, cols));
    bn_weight w = {BN_TYPE_Q8_0, rows, cols, 1.0f, p};
    TEST_CHECK(bn_weight_pack_rows(&w, 0, m.f16, BN_TYPE_F16, rows) == BN_OK, "pack %dx%d", rows, cols);
    float *x = malloc((size_t)n_tokens * cols * 4), *y = malloc((size_t)n_tokens * rows * 4), *ref = malloc((size_t)n_tokens * rows * 4);
    for (int i = 0; i < n_tokens * cols; i++) x[i] = test_rng_uniform(s) * 4 - 2;
    void *act = malloc(bn_act_bytes(BN_TYPE_Q8_0, n_tokens, cols));
    TEST_CHECK(bn_act_quantize(act, BN_TYPE_Q8_0, x, n_tokens, cols) == BN_OK, "act %d", cols);
    bn_matmul_q8_0_ref(ref, m.q_f16, rows, cols, x, n_tokens);
    for (int threads = 1; threads <= 3; threads += 2) {
        bn_threads_init(threads);
        memset(y, 0xff, (size_t)n_tokens * rows * 4);
        TEST_CHECK(bn_matmul(y, &w, act, n_tokens) == BN_OK, "matmul %dx%d t%d", rows, cols, n_tokens);
        TEST_CHECK(memcmp(y, ref, (size_t)n_tokens * rows * 4) == 0, "q8_0 %dx%d t%d (%d threads): not bit-identical to the GGUF reference",
                   rows, cols, n_tokens, threads);
    }
    bn_threads_init(1);
    free(act); free(x); free(y); free(ref); free(p);
    free_mat(&m);
}

// lookup from the packed copy == bn_get_rows on the GGUF blocks it was packed from (and F16/F32 as before)
static void test_get_rows(uint64_t *s, int rows, int cols) {
    mat m = make_mat(s, rows, cols);
    uint8_t *p = malloc(bn_weight_packed_bytes(BN_TYPE_Q8_0, rows, cols));
    bn_weight w = {BN_TYPE_Q8_0, rows, cols, 1.0f, p};
    TEST_CHECK(bn_weight_pack_rows(&w, 0, m.f16, BN_TYPE_F16, rows) == BN_OK, "pack");
    int32_t ids[6] = {rows - 1, 0, 1, rows / 2, 3 % rows, rows - 1};
    float *got = malloc(6 * (size_t)cols * 4), *want = malloc(6 * (size_t)cols * 4);
    TEST_CHECK(bn_weight_get_rows(got, &w, ids, 6) == BN_OK, "get_rows q8_0 status");
    TEST_CHECK(bn_get_rows(want, m.q_f16, BN_TYPE_Q8_0, rows, cols, ids, 6) == BN_OK, "get_rows gguf status");
    TEST_CHECK(memcmp(got, want, 6 * (size_t)cols * 4) == 0, "packed q8_0 lookup %dx%d != GGUF lookup", rows, cols);
    bn_fp16 *pf = malloc(bn_weight_packed_bytes(BN_TYPE_F16, rows, cols));
    bn_weight wf = {BN_TYPE_F16, rows, cols, 1.0f, pf};
    TEST_CHECK(bn_weight_pack_rows(&wf, 0, m.f16, BN_TYPE_F16, rows) == BN_OK, "pack f16");
    TEST_CHECK(bn_weight_get_rows(got, &wf, ids, 6) == BN_OK && bn_get_rows(want, m.f16, BN_TYPE_F16, rows, cols, ids, 6) == BN_OK &&
                   memcmp(got, want, 6 * (size_t)cols * 4) == 0,
               "packed f16 lookup %dx%d != GGUF lookup", rows, cols);
    free(pf);
    int32_t bad_id[1] = {rows};
    TEST_CHECK(bn_weight_get_rows(got, &w, bad_id, 1) == BN_ERR_RANGE, "id == rows rejected");
    bad_id[0] = -1;
    TEST_CHECK(bn_weight_get_rows(got, &w, bad_id, 1) == BN_ERR_RANGE, "negative id rejected");
    bn_weight wt = {BN_TYPE_I2_S, rows, cols, 1.0f, p};
    TEST_CHECK(bn_weight_get_rows(got, &wt, ids, 1) == BN_ERR_TYPE, "i2_s lookup rejected");
    TEST_CHECK(bn_weight_get_rows(got, 0, ids, 1) == BN_ERR_ARG, "null weight");
    free(got); free(want); free(p);
    free_mat(&m);
}

// the packed F16 layout (4-row interleaved, chunks of 8 halves, kernels-internal.h) written out from its
// definition: bytes from F16 and F32 sources in any chunking (reverse order too), zero padding (rows and
// the columns of a last partial chunk), and the portable kernel on 1 and 3 threads against the reference
static void test_f16(uint64_t *s, int rows, int cols, int n_tokens) {
    const size_t pc = (size_t)(cols + 7) / 8 * 8, bytes = bn_weight_packed_bytes(BN_TYPE_F16, rows, cols);
    TEST_CHECK(bytes == (size_t)(rows + 3) / 4 * 4 * pc * 2, "f16 packed bytes %dx%d = %zu", rows, cols, bytes);
    const size_t n = (size_t)rows * cols;
    bn_fp16 *h = malloc(n * 2), *p = malloc(bytes), *want = calloc(bytes, 1);
    float *f = malloc(n * 4);
    for (size_t i = 0; i < n; i++) {
        h[i] = bn_fp32_to_fp16((test_rng_uniform(s) * 2 - 1) * 0.5f);
        f[i] = bn_fp16_to_fp32(h[i]);  // f16-exact: F32 -> F16 must give the same halves
    }
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++) want[(size_t)(r / 4) * 4 * pc + 32 * (size_t)(k / 8) + 8 * (r % 4) + k % 8] = h[(size_t)r * cols + k];
    const int chunks[3] = {rows, 1, 3};
    for (int src = 0; src < 2; src++)
        for (int c = 0; c < 3; c++) {
            memset(p, 0xA5, bytes);
            bn_weight w = {BN_TYPE_F16, rows, cols, 1.0f, p};
            bn_status st = BN_OK;
            for (int r0 = (rows - 1) / chunks[c] * chunks[c]; r0 >= 0 && !st; r0 -= chunks[c]) {
                const int nr = rows - r0 < chunks[c] ? rows - r0 : chunks[c];
                st = src == 0 ? bn_weight_pack_rows(&w, r0, h + (size_t)r0 * cols, BN_TYPE_F16, nr)
                              : bn_weight_pack_rows(&w, r0, f + (size_t)r0 * cols, BN_TYPE_F32, nr);
            }
            TEST_CHECK(st == BN_OK && memcmp(p, want, bytes) == 0, "f16 pack %dx%d from %s in chunks of %d: status %d or bytes differ", rows, cols,
                       src ? "F32" : "F16", chunks[c], st);
        }
    {  // an F32 weight from F16 rows (widened exactly) and from BF16 rows (the top halves of the f32 bits)
        float *pf = malloc(n * 4);
        uint16_t *bf = malloc(n * 2);
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &f[i], 4);
            bf[i] = (uint16_t)(u >> 16);
        }
        bn_weight wf = {BN_TYPE_F32, rows, cols, 1.0f, pf};
        memset(pf, 0xA5, n * 4);
        TEST_CHECK(bn_weight_pack_rows(&wf, 0, h, BN_TYPE_F16, rows) == BN_OK && memcmp(pf, f, n * 4) == 0, "f32 pack %dx%d from F16", rows, cols);
        memset(pf, 0xA5, n * 4);
        bn_status st = BN_OK;
        for (int r0 = 0; r0 < rows && !st; r0 += 3) st = bn_weight_pack_rows(&wf, r0, bf + (size_t)r0 * cols, BN_TYPE_BF16, rows - r0 < 3 ? rows - r0 : 3);
        int same = st == BN_OK;
        for (size_t i = 0; i < n && same; i++) {
            uint32_t u;
            memcpy(&u, &pf[i], 4);
            same = u == (uint32_t)bf[i] << 16;
        }
        TEST_CHECK(same, "f32 pack %dx%d from BF16 in chunks of 3", rows, cols);
        free(pf);
        free(bf);
    }
    bn_weight w = {BN_TYPE_F16, rows, cols, 1.0f, p};
    bn_fp16 inf = 0x7c00;
    bn_fp16 *h1 = malloc((size_t)cols * 2);
    memcpy(h1, h, (size_t)cols * 2);
    h1[cols - 1] = inf;
    TEST_CHECK(bn_weight_pack_rows(&w, 0, h1, BN_TYPE_F16, 1) == BN_ERR_DATA, "f16 inf rejected");
    TEST_CHECK(bn_weight_pack_rows(&w, 0, h, BN_TYPE_F16, rows) == BN_OK, "f16 repack");
    float *x = malloc((size_t)n_tokens * cols * 4), *y = malloc((size_t)n_tokens * rows * 4), *ref = malloc((size_t)n_tokens * rows * 4);
    for (int i = 0; i < n_tokens * cols; i++) x[i] = test_rng_uniform(s) * 4 - 2;
    void *act = malloc(bn_act_bytes(BN_TYPE_F16, n_tokens, cols));
    TEST_CHECK(bn_act_quantize(act, BN_TYPE_F16, x, n_tokens, cols) == BN_OK, "f16 act %d", cols);
    bn_matmul_f16_ref(ref, h, rows, cols, x, n_tokens);
    for (int threads = 1; threads <= 3; threads += 2) {
        bn_threads_init(threads);
        memset(y, 0xff, (size_t)n_tokens * rows * 4);
        TEST_CHECK(bn_matmul(y, &w, act, n_tokens) == BN_OK, "f16 matmul %dx%d t%d", rows, cols, n_tokens);
        // the portable kernel sums the same exact products in double, in the same order: bit-identical
        TEST_CHECK(memcmp(y, ref, (size_t)n_tokens * rows * 4) == 0, "f16 %dx%d t%d (%d threads) != reference", rows, cols, n_tokens, threads);
    }
    bn_threads_init(1);
    free(h); free(p); free(want); free(f); free(h1); free(x); free(y); free(ref); free(act);
}

int main(void) {
    uint64_t s = 0x5eed0f0e4d1ea7ULL;
    test_layout(&s, 1, 32);
    test_layout(&s, 4, 64);
    test_layout(&s, 7, 96);
    test_layout(&s, 13, 256);
    test_matmul(&s, 1, 32, 1);
    test_matmul(&s, 7, 96, 3);
    test_matmul(&s, 37, 256, 5);
    test_matmul(&s, 64, 2560, 1);
    test_get_rows(&s, 5, 64);
    test_get_rows(&s, 50, 2560);
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_Q8_0, 128256, 2560) == (size_t)128256 * 80 * 34, "the 2B-4T head: no growth");
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_Q8_0, 3, 48) == 0, "cols %% 32");
    test_f16(&s, 1, 8, 1);
    test_f16(&s, 7, 13, 3);
    test_f16(&s, 13, 96, 5);
    test_f16(&s, 70, 2560, 2);
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_F16, 128256, 2560) == (size_t)128256 * 2560 * 2, "the 2B-4T F16 head: no growth");
    return test_report();
}
