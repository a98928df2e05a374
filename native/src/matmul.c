// matmul.c — bn_matmul: the scalar references on GGUF encodings (`*_ref`), the portable kernels on
// packed layouts (`*_generic`), the dispatch table that picks them or the SIMD128 set, and the
// driver that splits output rows across the thread pool.
#include "kernels-internal.h"

// ---------------------------------------------------------------------------------------------
// References (GGUF bytes + f32 activations in, f32 out; they quantize the activations themselves)

void bn_matmul_i2s_ref(float *y, const uint8_t *w, int rows, int cols, const float *x, int n_tokens) {
    float beta;
    memcpy(&beta, w + (size_t)rows * cols / 4, 4);
    int8_t q[cols];
    for (int t = 0; t < n_tokens; t++) {
        float s;
        int32_t sum;
        bn_quantize_row_i8_ref(q, &s, &sum, x + (size_t)t * cols, cols);
        for (int r = 0; r < rows; r++) {
            int32_t acc = 0;
            for (int k = 0; k < cols; k++) acc += bn_i2s_code_at(w, (size_t)r * cols + k) * q[k];
            y[(size_t)t * rows + r] = (float)(acc - sum) / s * beta;
        }
    }
}

void bn_matmul_tq_ref(float *y, const void *w, int type, int rows, int cols, const float *x, int n_tokens) {
    const int nb = cols / QK_K;
    block_q8_K a[nb];
    const size_t rb = bn_gguf_row_bytes(type, cols);
    for (int t = 0; t < n_tokens; t++) {
        bn_quantize_row_q8_K_ref(a, x + (size_t)t * cols, cols);
        for (int r = 0; r < rows; r++) {
            const uint8_t *row = (const uint8_t *)w + rb * r;
            float sumf = 0.0f;
            for (int b = 0; b < nb; b++) {
                int32_t sumi = 0;
                float dw;
                if (type == BN_TYPE_TQ2_0) {
                    const block_tq2_0 *blk = (const block_tq2_0 *)row + b;
                    for (int j = 0; j < QK_K; j++) sumi += (bn_tq2_code_at(blk, j) - 1) * a[b].qs[j];
                    dw = bn_fp16_to_fp32(blk->d);
                } else {
                    const block_tq1_0 *blk = (const block_tq1_0 *)row + b;
                    for (int j = 0; j < QK_K; j++) sumi += (bn_tq1_code_at(blk, j) - 1) * a[b].qs[j];
                    dw = bn_fp16_to_fp32(blk->d);
                }
                sumf += (float)sumi * (a[b].d * dw);
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

void bn_matmul_q8_0_ref(float *y, const block_q8_0 *w, int rows, int cols, const float *x, int n_tokens) {
    const int nb = cols / QK8_0;
    block_q8_0 a[nb];
    for (int t = 0; t < n_tokens; t++) {
        bn_quantize_row_q8_0_ref(a, x + (size_t)t * cols, cols);
        for (int r = 0; r < rows; r++) {
            float sumf = 0.0f;
            for (int b = 0; b < nb; b++) {
                const block_q8_0 *wb = w + (size_t)r * nb + b;
                int sumi = 0;
                for (int j = 0; j < QK8_0; j++) sumi += wb->qs[j] * a[b].qs[j];
                sumf += (float)sumi * (bn_fp16_to_fp32(wb->d) * bn_fp16_to_fp32(a[b].d));
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

void bn_matmul_f16_ref(float *y, const bn_fp16 *w, int rows, int cols, const float *x, int n_tokens) {
    for (int t = 0; t < n_tokens; t++) {
        for (int r = 0; r < rows; r++) {
            double sum = 0.0;  // ggml_vec_dot_f16 (generic): exact f16*f16 products summed in double
            for (int k = 0; k < cols; k++)
                sum += (double)(bn_fp16_to_fp32(w[(size_t)r * cols + k]) * bn_fp16_to_fp32(bn_fp32_to_fp16(x[(size_t)t * cols + k])));
            y[(size_t)t * rows + r] = (float)sum;
        }
    }
}


// ---------------------------------------------------------------------------------------------
// Portable kernels on the packed layouts

// chunks of one row `stride` bytes apart (16 contiguous, BN_I2S_STRIDE interleaved I2_S)
static inline int32_t lane_dot_generic(const uint8_t *codes, size_t stride, const int8_t *q, int cols) {
    int32_t acc = 0;
    for (int c = 0; c < cols / BN_LANE_CHUNK; c++, codes += stride, q += 64)
        for (int i = 0; i < 8; i++) {
            const unsigned lane = codes[2 * i] | (unsigned)codes[2 * i + 1] << 8;
            for (int k = 0; k < 8; k++) acc += (int32_t)((lane >> (2 * k)) & 3) * q[8 * k + i];
        }
    return acc;
}

static void i2s_generic(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows;
    const size_t arb = bn_act_row_bytes(BN_TYPE_I2_S, cols);
    for (int t = 0; t < n_tokens; t++) {
        const bn_act_i8 *h = (const bn_act_i8 *)((const uint8_t *)act + arb * t);
        const int8_t *q = (const int8_t *)(h + 1);
        for (int r = r0; r < r1; r++) {
            const int32_t a = lane_dot_generic(bn_i2s_row(w->data, cols, r), BN_I2S_STRIDE, q, cols);
            y[(size_t)t * rows + r] = (float)(a - h->sum) / h->s * w->scale;
        }
    }
}

static void tq_generic(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK_K;
    const size_t arb = bn_act_row_bytes(w->type, cols);
    const float *dw = bn_tq_scales(w->data, rows, cols);
    for (int t = 0; t < n_tokens; t++) {
        const block_q8_K *a = (const block_q8_K *)((const uint8_t *)act + arb * t);
        for (int r = r0; r < r1; r++) {
            const uint8_t *codes = bn_i2s_row(w->data, cols, r);
            float sumf = 0.0f;
            for (int b = 0; b < nb; b++) {
                int32_t qsum = 0;
                for (int j = 0; j < QK_K / 16; j++) qsum += a[b].bsums[j];
                const int32_t sumi = lane_dot_generic(codes + (size_t)BN_I2S_STRIDE * 4 * b, BN_I2S_STRIDE, a[b].qs, QK_K) - qsum;
                sumf += (float)sumi * (a[b].d * bn_tq_row_scales(dw, cols, r)[BN_I2S_ROWS * b]);
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

static void q8_0_generic(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows, nb = cols / QK8_0;
    const size_t arb = bn_act_row_bytes(BN_TYPE_Q8_0, cols);
    for (int t = 0; t < n_tokens; t++) {
        const block_q8_0 *a = (const block_q8_0 *)((const uint8_t *)act + arb * t);
        for (int r = r0; r < r1; r++) {  // packed 4-row interleaved (kernels-internal.h)
            const int i = r % BN_Q8_0_ROWS;
            float sumf = 0.0f;
            for (int b = 0; b < nb; b++) {
                const uint8_t *gb = bn_q8_0_group_block(w->data, nb, r, b);
                const int8_t *qs = bn_q8_0_quants(gb, i);
                int sumi = 0;
                for (int j = 0; j < QK8_0; j++) sumi += qs[j] * a[b].qs[j];
                sumf += (float)sumi * (bn_fp16_to_fp32(bn_q8_0_scale(gb, i)) * bn_fp16_to_fp32(a[b].d));
            }
            y[(size_t)t * rows + r] = sumf;
        }
    }
}

static float dot_f16_xs_generic(const bn_fp16 *w, const float *xs, int n) {
    double sum = 0.0;  // ggml_vec_dot_f16 (generic): exact f16*f16 products summed in double
    for (int k = 0; k < n; k++) sum += (double)(bn_fp16_to_fp32(w[k]) * (xs[k] * (1.0f / BN_F16_XSCALE)));
    return (float)sum;
}

// F16 rows of the packed 4-row interleaved layout (kernels-internal.h), one row at a time
static void f16_generic(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows;
    const size_t arb = bn_act_row_bytes(BN_TYPE_F16, cols);
    for (int t = 0; t < n_tokens; t++) {
        const float *xs = (const float *)((const uint8_t *)act + arb * t + bn_align4((size_t)2 * cols));
        for (int r = r0; r < r1; r++) {
            const bn_fp16 *wr = bn_f16_row(w->data, cols, r);
            double sum = 0.0;  // as dot_f16_xs_generic, chunk by chunk
            for (int k = 0; k < cols; k++)
                sum += (double)(bn_fp16_to_fp32(wr[BN_F16_STRIDE * (k / BN_F16_CHUNK) + k % BN_F16_CHUNK]) * (xs[k] * (1.0f / BN_F16_XSCALE)));
            y[(size_t)t * rows + r] = (float)sum;
        }
    }
}

static void f32_generic(float *y, const bn_weight *w, const void *act, int n_tokens, int r0, int r1) {
    const int cols = w->cols, rows = w->rows;
    for (int t = 0; t < n_tokens; t++) {
        const float *x = (const float *)act + (size_t)t * cols;
        for (int r = r0; r < r1; r++) {
            const float *wr = (const float *)w->data + (size_t)r * cols;
            double sum = 0.0;  // ggml_vec_dot_f32 (generic): f32 products summed in double
            for (int k = 0; k < cols; k++) sum += (double)(wr[k] * x[k]);
            y[(size_t)t * rows + r] = (float)sum;
        }
    }
}

static void axpy_f16_generic(float *y, float p, const bn_fp16 *v, int n) {
    for (int i = 0; i < n; i++) y[i] += p * bn_fp16_to_fp32(v[i]);
}

const bn_kernel_set bn_kernels_generic = {
    .name = "generic",
    .i2s = i2s_generic,
    .tq = tq_generic,
    .q8_0 = q8_0_generic,
    .f16 = f16_generic,
    .f32 = f32_generic,
    .dot_f16_xs = dot_f16_xs_generic,
    .axpy_f16 = axpy_f16_generic,
    .attend = bn_attend_generic,
};

// ---------------------------------------------------------------------------------------------
// Dispatch

static int g_kernel_mode = 0;  // see bn_kernels_select

const bn_kernel_set *bn_kernels_active(void) {
    if (g_kernel_mode == 1) return &bn_kernels_generic;
#if defined(__wasm_simd128__)
#if defined(BN_RELAXED_SIMD)
    if (g_kernel_mode == 0) return &bn_kernels_relaxed;
#endif
    return &bn_kernels_simd128;
#else
    return &bn_kernels_generic;
#endif
}

BN_API int bn_kernels_select(int which) {
#if defined(__wasm_simd128__)
    if (which < 0 || which > 2) return BN_ERR_ARG;
#else
    if (which != 0 && which != 1) return BN_ERR_ARG;
#endif
    g_kernel_mode = which;
    return BN_OK;
}

// ---------------------------------------------------------------------------------------------
// Driver

typedef struct {
    bn_matmul_rows_fn fn;
    float *y;
    const bn_weight *w;
    const void *act;
    int n_tokens;
} matmul_task;

static void matmul_worker(void *p, int ith, int nth, int thread) {
    (void)thread;
    const matmul_task *t = p;
    const int rows = t->w->rows;
    // contiguous blocks of rows, multiples of 4 so SIMD row groups stay whole
    int per = (rows + nth - 1) / nth;
    per = (per + 3) & ~3;
    const int r0 = ith * per, r1 = r0 + per < rows ? r0 + per : rows;
    if (r0 < r1) t->fn(t->y, t->w, t->act, t->n_tokens, r0, r1);
}

BN_API bn_status bn_matmul(float *y, const bn_weight *w, const void *act, int n_tokens) {
    if (!y || !w || !act || !w->data || n_tokens <= 0) return BN_ERR_ARG;
    if (bn_weight_packed_bytes(w->type, w->rows, w->cols) == 0) {
        return w->rows > 0 && w->cols > 0 && bn_weight_packed_bytes(w->type, 1, 256) ? BN_ERR_SHAPE : BN_ERR_TYPE;
    }
    if (w->type == BN_TYPE_I2_S && !(w->scale == w->scale)) return BN_ERR_DATA;
    const bn_kernel_set *ks = bn_kernels_active();
    bn_matmul_rows_fn fn;
    switch (w->type) {
    case BN_TYPE_I2_S: fn = ks->i2s; break;
    case BN_TYPE_TQ1_0: case BN_TYPE_TQ2_0: fn = ks->tq; break;
    case BN_TYPE_Q8_0: fn = ks->q8_0; break;
    case BN_TYPE_F16: fn = ks->f16; break;
    case BN_TYPE_F32: fn = ks->f32; break;
    default: return BN_ERR_TYPE;
    }
    matmul_task t = {fn, y, w, act, n_tokens};
    // tiny matrices are not worth waking the pool for
    const double work = (double)w->rows * w->cols * n_tokens;
    const int max_tasks = work < 65536.0 ? 1 : (w->rows + 3) / 4;
    bn_parallel(matmul_worker, &t, max_tasks);
    return BN_OK;
}
