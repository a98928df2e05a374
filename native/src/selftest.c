// selftest.c — exports used only by tests and benchmarks: GGUF encoders for ternary test matrices,
// bn_selftest (every matmul/attention kernel of the active set and of the generic set against the
// scalar references on seeded random data, with named error budgets), bn_bench_read (the
// plain memory-read loop that gives the bandwidth ceiling next to the kernel benchmarks) and
// bn_bench_dot_peak (the prefill tile's dots alone: the compute ceiling next to the prefill benchmark).
#include <stdio.h>
#include <stdlib.h>
#include "kernels-internal.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

// ---------------------------------------------------------------------------------------------
// Encoders from ternary values t in {-1, 0, 1} (row-major (rows, cols)) to GGUF bytes

BN_API void bn_test_encode_i2s(uint8_t *dst, const int8_t *t, int rows, int cols, float scale) {
    const size_t n = (size_t)rows * cols;
    memset(dst, 0, n / 4 + BN_I2S_TAIL_BYTES);
    for (size_t e = 0; e < n; e++) {
        const size_t blk = e / QK_I2S, j = e % QK_I2S;
        dst[32 * blk + j % 32] |= (uint8_t)((t[e] + 1) << (6 - 2 * (j / 32)));
    }
    memcpy(dst + n / 4, &scale, 4);
}

// d: one f16 scale per 256-block, (rows, cols/256)
BN_API void bn_test_encode_tq2(block_tq2_0 *dst, const int8_t *t, const bn_fp16 *d, int rows, int cols) {
    const size_t nb = (size_t)rows * cols / QK_K;
    for (size_t b = 0; b < nb; b++) {
        memset(dst[b].qs, 0, sizeof dst[b].qs);
        for (int j = 0; j < QK_K; j++) {
            const int c = j / 128, r = j % 128;
            dst[b].qs[32 * c + r % 32] |= (uint8_t)((t[b * QK_K + j] + 1) << (2 * (r / 32)));
        }
        dst[b].d = d[b];
    }
}

static uint8_t tq1_byte(const int *trits, int n) {  // trits[0] most significant; n = 5 or 4
    int q = 0;
    for (int i = 0; i < 5; i++) q = q * 3 + (i < n ? trits[i] : 0);
    return (uint8_t)((q * 256 + 242) / 243);
}

BN_API void bn_test_encode_tq1(block_tq1_0 *dst, const int8_t *t, const bn_fp16 *d, int rows, int cols) {
    const size_t nb = (size_t)rows * cols / QK_K;
    for (size_t b = 0; b < nb; b++) {
        const int8_t *v = t + b * QK_K;
        int tr[5];
        for (int m = 0; m < 32; m++) {
            for (int s = 0; s < 5; s++) tr[s] = v[32 * s + m] + 1;
            dst[b].qs[m] = tq1_byte(tr, 5);
        }
        for (int m = 0; m < 16; m++) {
            for (int s = 0; s < 5; s++) tr[s] = v[160 + 16 * s + m] + 1;
            dst[b].qs[32 + m] = tq1_byte(tr, 5);
        }
        for (int j = 0; j < 4; j++) {
            for (int s = 0; s < 4; s++) tr[s] = v[240 + 4 * s + j] + 1;
            dst[b].qh[j] = tq1_byte(tr, 4);
        }
        dst[b].d = d[b];
    }
}

// ---------------------------------------------------------------------------------------------
// Self test

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}
static float rng_f(uint64_t *s) { return (float)((rng_next(s) >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }

typedef struct { int fails; int verbose; } st_ctx;
#define ST_FAIL(c, ...) do { (c)->fails++; if ((c)->verbose) { printf(__VA_ARGS__); printf("\n"); } } while (0)

static int same_bits(const float *a, const float *b, size_t n, size_t *at) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], 4) != 0) { *at = i; return 0; }
    return 1;
}

// run w through bn_matmul with the active set, the generic set (and in -rx builds the SIMD128 set
// too); compare to ref
static void check_matmul(st_ctx *c, const char *what, const bn_weight *w, const float *x, int n_tokens, const float *ref,
                         int exact, float rel_tol) {
    const size_t ny = (size_t)n_tokens * w->rows;
    void *act = malloc(bn_act_bytes(w->type, n_tokens, w->cols));
    float *y = malloc(ny * 4);
    if (!act || !y) { c->fails++; free(act); free(y); return; }
#if defined(BN_RELAXED_SIMD)
    const int n_sets = 3;  // best (relaxed), generic, SIMD128
#else
    const int n_sets = 2;  // best, generic
#endif
    for (int set = 0; set < n_sets; set++) {
        bn_kernels_select(set);
        bn_status st = bn_act_quantize(act, w->type, x, n_tokens, w->cols);
        if (!st) st = bn_matmul(y, w, act, n_tokens);
        if (st) { ST_FAIL(c, "%s[%s]: status %d", what, bn_kernels_active()->name, st); continue; }
        size_t at = 0;
        if (exact) {
            if (!same_bits(y, ref, ny, &at)) ST_FAIL(c, "%s[%s]: y[%zu] = %.9g, ref %.9g", what, bn_kernels_active()->name, at, y[at], ref[at]);
        } else {
            double max_ref = 0;
            for (size_t i = 0; i < ny; i++) max_ref = fmax(max_ref, fabs(ref[i]));
            for (size_t i = 0; i < ny; i++)
                if (!(fabs(y[i] - ref[i]) <= rel_tol * (max_ref + 1e-30))) {
                    ST_FAIL(c, "%s[%s]: y[%zu] = %.9g, ref %.9g", what, bn_kernels_active()->name, i, y[i], ref[i]);
                    break;
                }
        }
    }
    bn_kernels_select(0);
    free(act);
    free(y);
}

// extreme: every weight +1 and every activation of a token +1 (even tokens) or -1 (odd tokens), so every
// product sits at its bound and the kernels' integer accumulators reach the largest sums their fold intervals
// allow (bn_selftest runs it on a few shapes); otherwise seeded random weights and activations
static void st_ternary(st_ctx *c, uint64_t *seed, int rows, int cols, int n_tokens, int extreme) {
    const size_t n = (size_t)rows * cols;
    int8_t *t = malloc(n);
    float *x = malloc((size_t)n_tokens * cols * 4), *ref = malloc((size_t)n_tokens * rows * 4), *ref2 = malloc((size_t)n_tokens * rows * 4);
    uint8_t *gguf = malloc(n / 4 + 32), *packed = malloc(bn_weight_packed_bytes(BN_TYPE_I2_S, rows, cols) + 16);
    const int nb = cols % QK_K ? 0 : (int)(n / QK_K);
    bn_fp16 *d = malloc((size_t)(nb + 1) * 2);
    block_tq2_0 *tq2 = malloc((size_t)(nb + 1) * sizeof(block_tq2_0));
    block_tq1_0 *tq1 = malloc((size_t)(nb + 1) * sizeof(block_tq1_0));
    uint8_t *tqp = malloc(bn_weight_packed_bytes(BN_TYPE_TQ2_0, rows, 256) * (cols / 256 + 1) + 16);
    if (!t || !x || !ref || !ref2 || !gguf || !packed || !d || !tq2 || !tq1 || !tqp) { c->fails++; goto done; }
    for (size_t i = 0; i < n; i++) t[i] = extreme ? 1 : (int8_t)(rng_next(seed) % 3) - 1;
    for (size_t i = 0; i < (size_t)n_tokens * cols; i++) x[i] = extreme ? (i / cols % 2 ? -1.0f : 1.0f) : rng_f(seed) * (i % 7 == 0 ? 8.0f : 1.0f);
    // a token with exact .5 ties after scaling, and one all-zero token
    if (n_tokens > 2 && !extreme) {
        for (int k = 0; k < cols; k++) x[cols + k] = (float)((k % 255) - 127) * 0.5f;
        for (int k = 0; k < cols; k++) x[2 * cols + k] = 0.0f;
    }
    {  // I2_S
        const float scale = 0.5f + (rng_next(seed) % 1000) / 1000.0f;
        bn_test_encode_i2s(gguf, t, rows, cols, scale);
        bn_weight w;
        bn_status st = bn_weight_pack_i2s(&w, packed, gguf, rows, cols);
        if (st || w.scale != scale) { ST_FAIL(c, "i2s pack: status %d", st); goto done; }
        bn_matmul_i2s_ref(ref, gguf, rows, cols, x, n_tokens);
        char what[64];
        snprintf(what, sizeof what, "i2s %dx%d t%d", rows, cols, n_tokens);
        check_matmul(c, what, &w, x, n_tokens, ref, 1, 0);
        // one code made 3 at a seeded place: the pack (SIMD in the WASM build) must refuse the tensor
        const size_t at = rng_next(seed) % ((size_t)rows * cols / 4);
        const int f = (int)(rng_next(seed) % 4);
        const uint8_t keep = gguf[at];
        gguf[at] |= (uint8_t)(3 << 2 * f);
        if (bn_weight_pack_i2s(&w, packed, gguf, rows, cols) != BN_ERR_DATA) ST_FAIL(c, "i2s pack %dx%d: code 3 at byte %zu field %d accepted", rows, cols, at, f);
        gguf[at] = keep;
    }
    if (nb) {  // TQ2_0 and TQ1_0 over the same ternary values: identical to their ref and each other
        for (int b = 0; b < nb; b++) d[b] = bn_fp32_to_fp16(0.25f + (rng_next(seed) % 1000) / 512.0f);
        bn_test_encode_tq2(tq2, t, d, rows, cols);
        bn_test_encode_tq1(tq1, t, d, rows, cols);
        bn_matmul_tq_ref(ref, tq2, BN_TYPE_TQ2_0, rows, cols, x, n_tokens);
        bn_matmul_tq_ref(ref2, tq1, BN_TYPE_TQ1_0, rows, cols, x, n_tokens);
        size_t at = 0;
        if (!same_bits(ref, ref2, (size_t)n_tokens * rows, &at)) ST_FAIL(c, "tq1 ref != tq2 ref at %zu", at);
        const int types[2] = {BN_TYPE_TQ2_0, BN_TYPE_TQ1_0};
        const void *srcs[2] = {tq2, tq1};
        for (int i = 0; i < 2; i++) {
            bn_weight w = {types[i], rows, cols, 1.0f, tqp};
            bn_status st = bn_weight_pack_rows(&w, 0, srcs[i], types[i], rows);
            if (st) { ST_FAIL(c, "tq pack: status %d", st); continue; }
            char what[64];
            snprintf(what, sizeof what, "tq%d %dx%d t%d", i == 0 ? 2 : 1, rows, cols, n_tokens);
            check_matmul(c, what, &w, x, n_tokens, ref, 1, 0);
        }
    }
done:
    free(t); free(x); free(ref); free(ref2); free(gguf); free(packed); free(d); free(tq2); free(tq1); free(tqp);
}

// The packed Q8_0 layout written out from its definition (kernels-internal.h): row r, block b of the
// GGUF blocks `g` -> group r/4, group block b: 4 f16 scales, then 4 x 32 quants; padding rows zero.
static void q8_0_layout(uint8_t *dst, const block_q8_0 *g, int rows, int cols) {
    const int nb = cols / QK8_0, grows = (rows + 3) / 4 * 4;
    memset(dst, 0, (size_t)grows * nb * sizeof(block_q8_0));
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < nb; b++) {
            uint8_t *gb = dst + ((size_t)(r / 4) * nb + b) * 136;
            memcpy(gb + 2 * (r % 4), &g[(size_t)r * nb + b].d, 2);
            memcpy(gb + 8 + 32 * (r % 4), g[(size_t)r * nb + b].qs, 32);
        }
}

// Q8_0 packing of `rows` GGUF rows of src_type (F16 / Q8_0) into w, in chunks of `chunk` rows (the
// runtime streams a tensor in pieces whose starts need not be multiples of 4); bytes against `want`
static void check_q8_0_pack(st_ctx *c, const char *what, bn_weight *w, const void *src, int src_type, int chunk, const uint8_t *want) {
    const size_t bytes = bn_weight_packed_bytes(BN_TYPE_Q8_0, w->rows, w->cols), rb = bn_gguf_row_bytes(src_type, w->cols);
    memset(w->data, 0x55, bytes);
    bn_status st = BN_OK;
    for (int r = 0; r < w->rows && !st; r += chunk)
        st = bn_weight_pack_rows(w, r, (const uint8_t *)src + rb * r, src_type, w->rows - r < chunk ? w->rows - r : chunk);
    if (st || memcmp(w->data, want, bytes)) ST_FAIL(c, "%s: q8_0 pack from type %d in chunks of %d: status %d or bytes differ", what, src_type, chunk, st);
}

static void st_float(st_ctx *c, uint64_t *seed, int rows, int cols, int n_tokens) {
    const size_t n = (size_t)rows * cols;
    bn_fp16 *h = malloc(n * 2);
    float *x = malloc((size_t)n_tokens * cols * 4), *ref = malloc((size_t)n_tokens * rows * 4), *wf = malloc(n * 4);
    const size_t qbytes = bn_weight_packed_bytes(BN_TYPE_Q8_0, rows, cols) + 64;
    block_q8_0 *qref = malloc(n / QK8_0 * sizeof(block_q8_0) + 64);
    uint8_t *q = malloc(qbytes), *qwant = malloc(qbytes);
    if (!h || !x || !ref || !wf || !q || !qref || !qwant) { c->fails++; goto done; }
    for (size_t i = 0; i < n; i++) h[i] = bn_fp32_to_fp16(rng_f(seed) * (i % 5 == 0 ? 2.0f : 0.05f));
    for (size_t i = 0; i < (size_t)n_tokens * cols; i++) x[i] = rng_f(seed) * 3.0f;
    char what[64];
    {  // F16 (budget: f32 vs double accumulation, 1e-5 of the largest |y|), packed in chunks of 3 rows
        // (group starts inside a call); the bytes against the layout written out from its definition
        // (kernels-internal.h: groups of 4 rows, chunks of 8 halves, zero padding), and the lookup
        const size_t fb = bn_weight_packed_bytes(BN_TYPE_F16, rows, cols), pc = (size_t)(cols + 7) / 8 * 8;
        bn_fp16 *fp = malloc(fb), *fwant = calloc(fb, 1);
        float *got = malloc((size_t)cols * 3 * 4), *want = malloc((size_t)cols * 3 * 4);
        if (!fp || !fwant || !got || !want || fb != (size_t)(rows + 3) / 4 * 4 * pc * 2) {
            ST_FAIL(c, "f16 %dx%d: packed bytes %zu", rows, cols, fb);
        } else {
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < cols; k++) fwant[(size_t)(r / 4) * 4 * pc + 32 * (k / 8) + 8 * (r % 4) + k % 8] = h[(size_t)r * cols + k];
            memset(fp, 0x55, fb);
            bn_weight w = {BN_TYPE_F16, rows, cols, 1.0f, fp};
            bn_status st = BN_OK;
            for (int r = 0; r < rows && !st; r += 3) st = bn_weight_pack_rows(&w, r, h + (size_t)r * cols, BN_TYPE_F16, rows - r < 3 ? rows - r : 3);
            if (st || memcmp(fp, fwant, fb)) ST_FAIL(c, "f16 %dx%d: pack status %d or bytes differ", rows, cols, st);
            {  // an inf or NaN anywhere (a whole chunk or the tail of a row) is refused with BN_ERR_DATA
                const size_t at = (size_t)(rng_next(seed) % n);
                const bn_fp16 keep = h[at];
                h[at] = (bn_fp16)(rng_next(seed) & 1 ? 0xfc00 : 0x7e01);
                const int r = (int)(at / (size_t)cols);
                if (bn_weight_pack_rows(&w, r, h + (size_t)r * cols, BN_TYPE_F16, 1) != BN_ERR_DATA)
                    ST_FAIL(c, "f16 %dx%d: non-finite half at %zu accepted", rows, cols, at);
                h[at] = keep;
                if (bn_weight_pack_rows(&w, r, h + (size_t)r * cols, BN_TYPE_F16, 1)) ST_FAIL(c, "f16 %dx%d: repack of row %d failed", rows, cols, r);
            }
            const int32_t ids[3] = {rows - 1, 0, rows / 2};
            if (bn_weight_get_rows(got, &w, ids, 3) || bn_get_rows(want, h, BN_TYPE_F16, rows, cols, ids, 3) || memcmp(got, want, (size_t)cols * 3 * 4))
                ST_FAIL(c, "f16 %dx%d: get_rows from the packed copy differs", rows, cols);
            bn_matmul_f16_ref(ref, h, rows, cols, x, n_tokens);
            snprintf(what, sizeof what, "f16 %dx%d t%d", rows, cols, n_tokens);
            check_matmul(c, what, &w, x, n_tokens, ref, 0, 1e-5f);
        }
        free(fp); free(fwant); free(got); free(want);
    }
    {  // F32 from the same values
        for (size_t i = 0; i < n; i++) wf[i] = bn_fp16_to_fp32(h[i]);
        bn_weight w = {BN_TYPE_F32, rows, cols, 1.0f, wf};
        bn_matmul_f16_ref(ref, h, rows, cols, x, n_tokens);  // differs only by the f16 rounding of x
        for (int t = 0; t < n_tokens; t++)
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int k = 0; k < cols; k++) s += (double)(wf[(size_t)r * cols + k] * x[(size_t)t * cols + k]);
                ref[(size_t)t * rows + r] = (float)s;
            }
        snprintf(what, sizeof what, "f32 %dx%d t%d", rows, cols, n_tokens);
        check_matmul(c, what, &w, x, n_tokens, ref, 0, 1e-5f);
    }
    if (cols % QK8_0 == 0) {  // F16 -> Q8_0 at load (4-row interleaved), then Q8_0 matmul: bit-exact to the ref
        bn_weight w = {BN_TYPE_Q8_0, rows, cols, 1.0f, q};
        for (int r = 0; r < rows; r++) {
            float tmp[cols];
            bn_dequantize_row_ref(tmp, h + (size_t)r * cols, BN_TYPE_F16, cols);
            bn_quantize_row_q8_0_ref(qref + (size_t)r * (cols / QK8_0), tmp, cols);
        }
        q8_0_layout(qwant, qref, rows, cols);
        snprintf(what, sizeof what, "%dx%d", rows, cols);
        check_q8_0_pack(c, what, &w, qref, BN_TYPE_Q8_0, 3, qwant);  // GGUF Q8_0 copied into the layout
        check_q8_0_pack(c, what, &w, h, BN_TYPE_F16, rows, qwant);   // F16 re-quantized (SIMD path in wasm)
        check_q8_0_pack(c, what, &w, h, BN_TYPE_F16, 5, qwant);
        bn_matmul_q8_0_ref(ref, qref, rows, cols, x, n_tokens);
        snprintf(what, sizeof what, "q8_0 %dx%d t%d", rows, cols, n_tokens);
        check_matmul(c, what, &w, x, n_tokens, ref, 1, 0);
    }
done:
    free(h); free(x); free(ref); free(wf); free(q); free(qref); free(qwant);
}

static void st_attention(st_ctx *c, uint64_t *seed, int n_tokens, int pos0, int n_head, int n_head_kv, int hd) {
    const int n_ctx = pos0 + n_tokens + 3;
    const size_t kvn = (size_t)n_ctx * n_head_kv * hd, qn = (size_t)n_tokens * n_head * hd;
    bn_fp16 *k = malloc(kvn * 2), *v = malloc(kvn * 2);
    float *q = malloc(qn * 4), *out = malloc(qn * 4), *ref = malloc(qn * 4);
    void *scratch = malloc(bn_attention_scratch_bytes(n_ctx) * BN_MAX_THREADS);
    if (!k || !v || !q || !out || !ref || !scratch) { c->fails++; goto done; }
    for (size_t i = 0; i < kvn; i++) { k[i] = bn_fp32_to_fp16(rng_f(seed) * 2); v[i] = bn_fp32_to_fp16(rng_f(seed)); }
    for (size_t i = 0; i < qn; i++) q[i] = rng_f(seed) * 2;
    bn_attention_ref(ref, q, k, v, n_tokens, pos0, n_head, n_head_kv, hd);
    // Budget per output element: 2e-5 for f32 against double sums (outputs are O(1)), plus one f16 step
    // of every probability times |v|: f32 and double scores may round a probability to neighbouring f16
    // values (ggml's own result differs from a double reference the same way), and one step of p is at
    // most p * 2^-10. So bound = 2e-5 + 2^-10 * sum_j p_j |v_j[d]|, with p from the reference's scores.
    float *bound = malloc(qn * 4), *sc = malloc((size_t)n_ctx * 4), *pr = malloc((size_t)n_ctx * 4);
    if (!bound || !sc || !pr) { c->fails++; free(bound); free(sc); free(pr); goto done; }
    for (int t = 0; t < n_tokens; t++)
        for (int h = 0; h < n_head; h++) {
            const int n_kv = pos0 + t + 1, g = h / (n_head / n_head_kv);
            const float *qh = q + ((size_t)t * n_head + h) * hd;
            for (int j = 0; j < n_kv; j++) {
                double sum = 0.0;
                for (int d = 0; d < hd; d++)
                    sum += (double)(bn_fp16_to_fp32(bn_fp32_to_fp16(qh[d])) * bn_fp16_to_fp32(k[((size_t)j * n_head_kv + g) * hd + d]));
                sc[j] = (float)sum / sqrtf((float)hd);
            }
            bn_softmax_f16_ref(pr, sc, n_kv, 1.0f);
            for (int d = 0; d < hd; d++) {
                double b = 0.0;
                for (int j = 0; j < n_kv; j++) b += pr[j] * fabs(bn_fp16_to_fp32(v[((size_t)j * n_head_kv + g) * hd + d]));
                bound[((size_t)t * n_head + h) * hd + d] = 2e-5f + (float)(b * 0x1p-10);
            }
        }
    for (int set = 0; set < 2; set++) {
        bn_kernels_select(set);
        bn_status st = bn_attention(out, q, k, v, n_tokens, pos0, n_head, n_head_kv, hd, scratch);
        if (st) { ST_FAIL(c, "attention status %d", st); continue; }
        for (size_t i = 0; i < qn; i++)
            if (!(fabsf(out[i] - ref[i]) <= bound[i])) {
                ST_FAIL(c, "attention[%s] t%d p%d h%d/%d: out[%zu] %.9g ref %.9g (bound %.3g)", bn_kernels_active()->name, n_tokens, pos0,
                        n_head, n_head_kv, i, out[i], ref[i], bound[i]);
                break;
            }
        // the head-major caches (the model's layout) hold the same rows: bit-identical outputs; the stores
        // through bn_kv_store_hm from the position-major rows as f32 (exact: they are f16 values)
        bn_fp16 *khm = malloc(kvn * 2), *vhm = malloc(kvn * 2);
        float *rows = malloc(kvn * 4), *out2 = malloc(qn * 4);
        if (!khm || !vhm || !rows || !out2) { c->fails++; free(khm); free(vhm); free(rows); free(out2); continue; }
        for (size_t i = 0; i < kvn; i++) rows[i] = bn_fp16_to_fp32(k[i]);
        bn_status s1 = bn_kv_store_hm(khm, rows, n_ctx, 0, n_head_kv, hd, n_ctx);
        for (size_t i = 0; i < kvn; i++) rows[i] = bn_fp16_to_fp32(v[i]);
        bn_status s2 = bn_kv_store_hm(vhm, rows, n_ctx, 0, n_head_kv, hd, n_ctx);
        bn_status s3 = bn_attention_hm(out2, q, khm, vhm, n_tokens, pos0, n_head, n_head_kv, hd, n_ctx, scratch);
        if (s1 || s2 || s3 || memcmp(out, out2, qn * 4))
            ST_FAIL(c, "attention_hm[%s] t%d p%d h%d/%d: status %d/%d/%d or outputs differ from the position-major cache's",
                    bn_kernels_active()->name, n_tokens, pos0, n_head, n_head_kv, s1, s2, s3);
        if (bn_attention_hm(out2, q, khm, vhm, n_tokens, n_ctx - n_tokens + 1, n_head, n_head_kv, hd, n_ctx, scratch) != BN_ERR_RANGE)
            ST_FAIL(c, "attention_hm past n_ctx not refused");
        if (bn_kv_store_hm(khm, rows, 1, n_ctx, n_head_kv, hd, n_ctx) != BN_ERR_RANGE) ST_FAIL(c, "kv_store_hm past n_ctx not refused");
        free(khm); free(vhm); free(rows); free(out2);
    }
    free(bound); free(sc); free(pr);
    bn_kernels_select(0);
done:
    free(k); free(v); free(q); free(out); free(ref); free(scratch);
}

// F16 -> Q8_0 packing on awkward blocks (zero, subnormal, inf, NaN, max finite, .5 ties), bytes
// against the reference quantizer
static void st_q8_0_pack_edges(st_ctx *c, uint64_t *seed) {  // (own seed: keeps the others' data as it was)
    enum { ROWS = 3, COLS = 256 };
    bn_fp16 h[ROWS * COLS];
    for (int i = 0; i < ROWS * COLS; i++) h[i] = bn_fp32_to_fp16(rng_f(seed) * 0.1f);
    for (int i = 0; i < 32; i++) h[32 + i] = (i & 1) ? 0x8000 : 0;                           // +-0 block
    for (int i = 0; i < 32; i++) h[64 + i] = (bn_fp16)((rng_next(seed) & 0x83ff));          // subnormals
    h[100] = 0x7c00; h[140] = 0xfc00; h[170] = 0x7e01;                                     // inf, -inf, NaN
    for (int i = 0; i < 32; i++) h[COLS + 32 + i] = (i & 1) ? 0xfbff : 0x7bff;             // +-65504
    for (int i = 0; i < 32; i++) h[COLS + 64 + i] = bn_fp32_to_fp16((float)(i - 16) * 0.5f * (127.0f / 8.0f) / 127.0f);
    block_q8_0 qref[ROWS * COLS / QK8_0];
    uint8_t q[(ROWS + 3) / 4 * 4 * COLS / QK8_0 * sizeof(block_q8_0)], qwant[sizeof q];
    bn_weight w = {BN_TYPE_Q8_0, ROWS, COLS, 1.0f, q};
    for (int r = 0; r < ROWS; r++) {
        float tmp[COLS];
        bn_dequantize_row_ref(tmp, h + r * COLS, BN_TYPE_F16, COLS);
        bn_quantize_row_q8_0_ref(qref + r * (COLS / QK8_0), tmp, COLS);
    }
    q8_0_layout(qwant, qref, ROWS, COLS);
    check_q8_0_pack(c, "edge cases", &w, h, BN_TYPE_F16, ROWS, qwant);
}

// bn_quantize_row_i8 (SIMD128 where compiled) against bn_quantize_row_i8_ref, byte for byte, on random rows
// and on awkward ones: exact .5 ties, NaN, +-inf, all zeros, a single huge value, subnormals
static void st_quantize_i8(st_ctx *c, uint32_t salt) {  // own seed: keeps the others' data as it was
    enum { N = 256 };
    uint64_t own = 0xA5A5F00D12345678ULL ^ salt, *seed = &own;
    float x[N];
    int8_t q[N], qr[N];
    int16_t q16[N];
    for (int kind = 0; kind < 7; kind++) {
        for (int i = 0; i < N; i++) x[i] = rng_f(seed) * 3.0f;
        if (kind == 1) for (int i = 0; i < N; i++) x[i] = (float)(i % 255 - 127) * 0.5f;  // max 63.5 -> s = 2: ties
        if (kind == 2) x[17] = NAN;
        if (kind == 3) { x[3] = INFINITY; x[200] = -INFINITY; }
        if (kind == 4) memset(x, 0, sizeof x);
        if (kind == 5) x[99] = 3e38f;
        if (kind == 6) for (int i = 0; i < N; i++) x[i] = (float)(i - 128) * 1e-41f;  // subnormals, below the 1e-5 floor
        float s, sr;
        int32_t sum, sumr;
        bn_quantize_row_i8(q, q16, &s, &sum, x, N);
        bn_quantize_row_i8_ref(qr, &sr, &sumr, x, N);
        int bad16 = 0;
        for (int i = 0; i < N; i++) bad16 += q16[i] != qr[i];
        if (memcmp(q, qr, N) || sum != sumr || memcmp(&s, &sr, 4) || bad16)
            ST_FAIL(c, "quantize_row_i8 kind %d: bytes, sum (%d vs %d), scale or q16 (%d) differ", kind, sum, sumr, bad16);
    }
}

// bn_quantize_row_q8_K (SIMD128 where compiled) against bn_quantize_row_q8_K_ref, byte for byte, with its q16 and
// qsum against the reference's qs, on random blocks and awkward ones: ties of magnitude with opposite signs (the
// first one sets the sign of the scale), exact .5 products, NaN, +-inf, all zeros, subnormals
static void st_quantize_q8_K(st_ctx *c, uint32_t salt) {
    enum { NB = 3, N = NB * QK_K };
    uint64_t own = 0x5EED0F0F8BADF00DULL ^ salt, *seed = &own;
    float x[N];
    block_q8_K y[NB], yr[NB];
    int16_t q16[N];
    int32_t qsum[NB];
    for (int kind = 0; kind < 8; kind++) {
        for (int i = 0; i < N; i++) x[i] = rng_f(seed) * 3.0f;
        if (kind == 1) { x[40] = -5.0f; x[90] = 5.0f; x[QK_K + 7] = 4.0f; x[QK_K + 8] = -4.0f; }  // ties: the first wins
        if (kind == 2) for (int i = 0; i < N; i++) x[i] = (float)(i % 255 - 127);  // max -127: iscale 1, exact ints
        if (kind == 3) for (int i = 0; i < N; i++) x[i] = (float)(i % 254 - 127) * 0.5f + (i == 3 ? 63.5f : 0.0f);  // .5 products
        if (kind == 4) { x[17] = NAN; x[QK_K] = NAN; }
        if (kind == 5) { x[3] = INFINITY; x[2 * QK_K + 9] = -INFINITY; }
        if (kind == 6) memset(x, 0, QK_K * sizeof(float));  // one all-zero block
        if (kind == 7) for (int i = 0; i < N; i++) x[i] = (float)(i - 300) * 1e-41f;  // subnormals
        memset(y, 0x55, sizeof y);
        memset(yr, 0x55, sizeof yr);
        bn_quantize_row_q8_K(y, q16, qsum, x, N);
        bn_quantize_row_q8_K_ref(yr, x, N);
        int bad = 0;
        for (int b = 0; b < NB; b++) {
            int32_t s = 0;
            for (int i = 0; i < QK_K; i++) {
                bad += q16[QK_K * b + i] != yr[b].qs[i];
                s += yr[b].qs[i];
            }
            bad += qsum[b] != s;
            bad += memcmp(&y[b].d, &yr[b].d, 4) != 0 || memcmp(y[b].qs, yr[b].qs, QK_K) != 0 || memcmp(y[b].bsums, yr[b].bsums, sizeof y[b].bsums) != 0;
        }
        if (bad) ST_FAIL(c, "quantize_row_q8_K kind %d: %d differences (d, qs, bsums, q16 or qsum)", kind, bad);
    }
}

// bn_softmax_f16 (SIMD128 where compiled: a polynomial exp, f64-lane sums, SIMD f16 rounding) against
// bn_softmax_f16_ref (libm expf, a double sum, bn_fp32_to_fp16): every probability within one f16 step
// (the exps differ by a few f32 ulp, which can move a probability across an f16 rounding boundary), and the
// rounding itself bit-exact: probabilities that the reference's f16 values make exact ties or subnormal
// halves come out identical. Lengths cover the vector body and every tail; scores include a wide spread
// (exps down to the -87 clamp and below) and equal scores.
static void st_softmax(st_ctx *c, uint32_t salt) {
    enum { NMAX = 1031 };
    uint64_t own = 0x0DDBA11CAFEF00DULL ^ salt, *seed = &own;
    static float s0[NMAX], s1[NMAX], p[NMAX], pr[NMAX];
    static const int lens[] = {1, 2, 3, 4, 5, 7, 8, 13, 64, 257, 1031};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (int kind = 0; kind < 3; kind++) {
            const int n = lens[li];
            for (int j = 0; j < n; j++) s0[j] = kind == 0 ? rng_f(seed) * 8.0f : kind == 1 ? rng_f(seed) * 120.0f : 1.5f;
            memcpy(s1, s0, (size_t)n * 4);
            bn_softmax_f16(p, s0, n, 0x1p112f);
            bn_softmax_f16_ref(pr, s1, n, 0x1p112f);
            int bad = 0;
            for (int j = 0; j < n; j++) {
                const float a = p[j] * 0x1p-112f, b = pr[j] * 0x1p-112f;
                const float step = b < 0x1p-14f ? 0x1p-24f : b * 0x1p-10f;
                bad += !(fabsf(a - b) <= step) || bn_fp16_to_fp32(bn_fp32_to_fp16(a)) != a;
            }
            if (bad) ST_FAIL(c, "softmax_f16 n %d kind %d: %d probabilities off by more than one f16 step or not f16 values", n, kind, bad);
        }
    // equal scores: the probabilities 1/n are exact ties of the f16 rounding for some n, not for others
    for (int n = 1; n <= 300; n++) {
        for (int j = 0; j < n; j++) s0[j] = s1[j] = 0.25f;
        bn_softmax_f16(p, s0, n, 1.0f);
        bn_softmax_f16_ref(pr, s1, n, 1.0f);
        if (memcmp(p, pr, (size_t)n * 4)) ST_FAIL(c, "softmax_f16 of %d equal scores differs from the reference", n);
    }
    // the f16 rounding step alone, bit for bit against bn_fp32_to_fp16: every f16 value in [0, 1] and the
    // f32 values just around it and halfway to the next (ties), plus random values
    static float x[4 * 15361 + 4096], y[4 * 15361 + 4096];
    int m = 0;
    for (uint32_t h = 0; h <= 0x3c00; h++) {
        const float a = bn_fp16_to_fp32((bn_fp16)h), b = bn_fp16_to_fp32((bn_fp16)(h + 1));
        x[m++] = a;
        x[m++] = nextafterf(a, 2.0f);
        x[m++] = h ? nextafterf(a, 0.0f) : 0.0f;
        x[m++] = a + (b - a) * 0.5f;  // exact: the halfway point has one more bit than the halves
    }
    for (int k = 0; k < 4096; k++) x[m++] = fabsf(rng_f(seed));
    bn_round_f16_f32(y, x, m);
    int bad = 0;
    for (int k = 0; k < m; k++) bad += y[k] != bn_fp16_to_fp32(bn_fp32_to_fp16(x[k]));
    if (bad) ST_FAIL(c, "round_f16_f32: %d of %d values differ from bn_fp32_to_fp16", bad, m);
}

// Returns the number of failed comparisons (0 = all kernels agree with their references).
BN_API int bn_selftest(uint32_t seed, int verbose) {
    st_ctx c = {0, verbose};
    uint64_t s = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 17 | 1);
    static const int tern[][3] = {{8, 128, 1}, {37, 256, 3}, {64, 640, 1}, {13, 768, 5}, {5, 4352, 1}, {6, 8448, 2}, {17, 512, 9}, {14, 512, 1},
                                  {9, 8448, 13}, {5, 256, 21}};  // the last: prefill over two token groups (relaxed and SIMD128: 16 and
                                                                  // an odd 5)
    for (size_t i = 0; i < sizeof tern / sizeof tern[0]; i++) st_ternary(&c, &s, tern[i][0], tern[i][1], tern[i][2], 0);
    // extreme values: rows of 8448 (132 chunks: whole and partial fold intervals), a 4-row group and a
    // lone row, one token (decode) and 5 (prefill); 2560 = 2B-4T's n_embd
    st_ternary(&c, &s, 5, 8448, 1, 1);
    st_ternary(&c, &s, 5, 8448, 5, 1);
    st_ternary(&c, &s, 8, 2560, 2, 1);
    static const int flt[][3] = {{7, 32, 1}, {33, 96, 3}, {16, 256, 1}, {5, 1000, 2}, {9, 2560, 1}, {6, 100, 2}, {13, 64, 5}, {11, 36, 4}, {3, 13, 1}};
    for (size_t i = 0; i < sizeof flt / sizeof flt[0]; i++) st_float(&c, &s, flt[i][0], flt[i][1], flt[i][2]);
    st_quantize_i8(&c, seed);
    st_quantize_q8_K(&c, seed);
    st_softmax(&c, seed);
    st_attention(&c, &s, 1, 0, 4, 1, 64);
    st_attention(&c, &s, 1, 20, 4, 2, 64);
    st_attention(&c, &s, 5, 7, 6, 3, 40);
    st_attention(&c, &s, 3, 0, 2, 2, 128);
    st_attention(&c, &s, 2, 30, 20, 5, 128);  // the 2B-4T grouping: 4 heads per KV head
    st_attention(&c, &s, 1, 9, 12, 1, 24);    // 12 heads on one KV head: groups of 8 + 4 (24 % 8 == 0)
    st_attention(&c, &s, 2, 3, 6, 2, 20);     // head_dim not a multiple of 8: per-head fallback
    uint64_t s2 = s ^ 0x5851F42D4C957F2DULL;
    st_q8_0_pack_edges(&c, &s2);
    return c.fails;
}

// ---------------------------------------------------------------------------------------------
// Bandwidth ceiling: read `bytes` (multiple of 64) `reps` times with 16-byte loads; returns a
// checksum so the loop cannot be optimised away.
BN_API uint32_t bn_bench_read(const void *ptr, size_t bytes, int reps) {
    uint32_t sum = 0;
#if defined(__wasm_simd128__)
    for (int r = 0; r < reps; r++) {
        v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
        const uint8_t *p = ptr;
        for (size_t i = 0; i + 64 <= bytes; i += 64) {
            a0 = wasm_i32x4_add(a0, wasm_v128_load(p + i));
            a1 = wasm_i32x4_add(a1, wasm_v128_load(p + i + 16));
            a2 = wasm_i32x4_add(a2, wasm_v128_load(p + i + 32));
            a3 = wasm_i32x4_add(a3, wasm_v128_load(p + i + 48));
        }
        a0 = wasm_i32x4_add(wasm_i32x4_add(a0, a1), wasm_i32x4_add(a2, a3));
        sum += (uint32_t)wasm_i32x4_extract_lane(a0, 0) ^ (uint32_t)wasm_i32x4_extract_lane(a0, 3);
    }
#else
    for (int r = 0; r < reps; r++) {
        const uint32_t *p = ptr;
        uint32_t a = 0;
        for (size_t i = 0; i < bytes / 4; i++) a += p[i];
        sum += a;
    }
#endif
    return sum;
}

// Compute ceiling of the prefill tile: `iters` iterations of the active kernel set's bench_dot (the tile's
// loop body on L1-resident operands, src = 160 readable bytes). Returns the checksum, *macs = multiply-adds
// per iteration; 0 and *macs = 0 where the set has no tile instruction (generic).
BN_API uint32_t bn_bench_dot_peak(const void *src, int iters, int *macs) {
    const bn_kernel_set *ks = bn_kernels_active();
    *macs = 0;
    return ks->bench_dot ? ks->bench_dot(src, iters, macs) : 0;
}

// Wrapping sum of the whole 32-bit words of p[0, bytes) (bytes a multiple of 4).
static uint32_t read_words_sum(const uint8_t *p, size_t bytes) {
    uint32_t sum = 0;
    size_t i = 0;
#if defined(__wasm_simd128__)
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 64 <= bytes; i += 64) {
        a0 = wasm_i32x4_add(a0, wasm_v128_load(p + i));
        a1 = wasm_i32x4_add(a1, wasm_v128_load(p + i + 16));
        a2 = wasm_i32x4_add(a2, wasm_v128_load(p + i + 32));
        a3 = wasm_i32x4_add(a3, wasm_v128_load(p + i + 48));
    }
    a0 = wasm_i32x4_add(wasm_i32x4_add(a0, a1), wasm_i32x4_add(a2, a3));
    sum = (uint32_t)wasm_i32x4_extract_lane(a0, 0) + (uint32_t)wasm_i32x4_extract_lane(a0, 1) +
          (uint32_t)wasm_i32x4_extract_lane(a0, 2) + (uint32_t)wasm_i32x4_extract_lane(a0, 3);
#endif
    for (; i + 4 <= bytes; i += 4) {
        uint32_t v;
        memcpy(&v, p + i, 4);
        sum += v;
    }
    return sum;
}

enum { READ_MAX_TASKS = BN_MAX_THREADS * 8 };

typedef struct {
    const uint8_t *p;
    size_t bytes;
    uint32_t sums[READ_MAX_TASKS];  // one per task
} read_ctx;

// task ith of nth: a contiguous run of whole 64-byte lines; the last task also takes the tail words
static void read_task(void *vctx, int ith, int nth, int thread) {
    read_ctx *c = vctx;
    const size_t lines = c->bytes / 64;
    const size_t l0 = lines * (size_t)ith / (size_t)nth, l1 = lines * (size_t)(ith + 1) / (size_t)nth;
    const size_t end = ith == nth - 1 ? c->bytes : l1 * 64;
    c->sums[ith] = read_words_sum(c->p + l0 * 64, end - l0 * 64);
}

// The bandwidth ceiling of the thread pool: read `bytes` `reps` times, each pass split into 64-byte
// aligned slices (relative to ptr) over the pool with bn_parallel, one fork/join per pass like a
// matmul. Returns reps * (the wrapping sum of the buffer's whole little-endian 32-bit words), the
// same for any thread count, so a caller can check that every byte was read.
BN_API uint32_t bn_bench_read_threads(const void *ptr, size_t bytes, int reps) {
    read_ctx c;
    c.p = ptr;
    c.bytes = bytes;
    const size_t lines = bytes / 64;
    const int max_tasks = lines < READ_MAX_TASKS ? (int)(lines ? lines : 1) : READ_MAX_TASKS;
    uint32_t sum = 0;
    for (int r = 0; r < reps; r++) {
        memset(c.sums, 0, sizeof c.sums);
        bn_parallel(read_task, &c, max_tasks);
        for (int i = 0; i < READ_MAX_TASKS; i++) sum += c.sums[i];
    }
    return sum;
}
