// ops.c — the float ops of a BitNet/LLaMA block, rounding like ggml: RMSNorm, NEOX RoPE, the f16
// KV cache store, causal grouped-KV attention (runs of heads sharing a KV head split across the pool),
// gates and elementwise ops; plus bn_attention_ref, the double-accumulating reference of attention.
#include "kernels-internal.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif


// y (n_rows, n) = (x * (1/sqrt(mean(x^2) + eps))) * w   — ggml: f32 squares summed in double
BN_API bn_status bn_rmsnorm(float *y, const float *x, const float *w, int n_rows, int n, float eps) {
    if (!y || !x || !w || n_rows <= 0 || n <= 0) return BN_ERR_ARG;
    for (int r = 0; r < n_rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        double sum = 0.0;
        int i0 = 0;
#if defined(__wasm_simd128__)
        // the same f32 squares, summed in double two lanes at a time (order differs from the loop below
        // only in the last bits of a double; the f32 mean is then almost always identical); the scaling is
        // elementwise, so it is bit-identical
        v128_t d0 = wasm_f64x2_splat(0.0), d1 = d0;
        for (; i0 + 4 <= n; i0 += 4) {
            const v128_t v = wasm_v128_load(xr + i0), sq = wasm_f32x4_mul(v, v);
            d0 = wasm_f64x2_add(d0, wasm_f64x2_promote_low_f32x4(sq));
            d1 = wasm_f64x2_add(d1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(sq, sq, 2, 3, 0, 1)));
        }
        d0 = wasm_f64x2_add(d0, d1);
        sum = wasm_f64x2_extract_lane(d0, 0) + wasm_f64x2_extract_lane(d0, 1);
#endif
        for (int i = i0; i < n; i++) sum += (double)(xr[i] * xr[i]);
        const float mean = (float)(sum / n);
        const float scale = 1.0f / sqrtf(mean + eps);
        int i = 0;
#if defined(__wasm_simd128__)
        const v128_t sc = wasm_f32x4_splat(scale);
        for (; i + 4 <= n; i += 4) wasm_v128_store(yr + i, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(xr + i), sc), wasm_v128_load(w + i)));
#endif
        for (; i < n; i++) yr[i] = (xr[i] * scale) * w[i];
    }
    return BN_OK;
}

// NEOX RoPE: pairs (i, i + n_rot/2) of each head, theta_i = pos * theta_scale^i with
// theta_scale = powf(base, -2/n_rot), accumulated by repeated float multiplication like ggml.
BN_API bn_status bn_rope_neox(float *x, int n_tokens, int pos0, int n_heads, int head_dim, int n_rot, float freq_base) {
    if (!x || n_tokens <= 0 || n_heads <= 0 || head_dim <= 0 || pos0 < 0) return BN_ERR_ARG;
    if (n_rot <= 0 || n_rot > head_dim || n_rot % 2 || n_rot / 2 > BN_ATT_MAX_HEAD_DIM) return BN_ERR_SHAPE;
    if (!(freq_base > 0.0f) || !isfinite(freq_base)) return BN_ERR_ARG;
    const float theta_scale = powf(freq_base, -2.0f / (float)n_rot);
    const int half = n_rot / 2;
    float cs[BN_ATT_MAX_HEAD_DIM], sn[BN_ATT_MAX_HEAD_DIM];
    for (int t = 0; t < n_tokens; t++) {
        float theta = (float)(pos0 + t);
        for (int i = 0; i < half; i++) {
            cs[i] = cosf(theta);
            sn[i] = sinf(theta);
            theta *= theta_scale;
        }
        for (int h = 0; h < n_heads; h++) {
            float *v = x + ((size_t)t * n_heads + h) * head_dim;
            for (int i = 0; i < half; i++) {
                const float x0 = v[i], x1 = v[i + half];
                v[i] = x0 * cs[i] - x1 * sn[i];
                v[i + half] = x0 * sn[i] + x1 * cs[i];
            }
        }
    }
    return BN_OK;
}

BN_API bn_status bn_kv_store(bn_fp16 *cache, const float *x, int n_tokens, int pos0, int row_elems) {
    if (!cache || !x || n_tokens <= 0 || pos0 < 0 || row_elems <= 0) return BN_ERR_ARG;
    bn_fp16 *dst = cache + (size_t)pos0 * row_elems;
    for (size_t i = 0; i < (size_t)n_tokens * row_elems; i++) dst[i] = bn_fp32_to_fp16(x[i]);
    return BN_OK;
}

// ---------------------------------------------------------------------------------------------
// Attention

BN_API size_t bn_attention_scratch_bytes(int n_ctx) {
    if (n_ctx <= 0) return 0;
    // per thread, f32: q (f16-rounded, x 2^100) [GROUP_MAX x MAX_HEAD_DIM] | scores [GROUP_MAX x n_ctx] |
    // probabilities [GROUP_MAX x n_ctx] | a sink of max(n_ctx, MAX_HEAD_DIM) (arch/wasm/attention.c)
    const size_t n = ((size_t)BN_ATT_GROUP_MAX * BN_ATT_MAX_HEAD_DIM + 2 * (size_t)BN_ATT_GROUP_MAX * n_ctx + (size_t)n_ctx + BN_ATT_MAX_HEAD_DIM) * 4;
    return (n + 63) & ~(size_t)63;
}

// pf[j] = f16(exp(s[j] - max) / sum) as f32, times mult (a power of two: exact); s is overwritten. The
// reference: libm expf, the sum in double (ggml's ggml_float), then each probability rounded to f16.
void bn_softmax_f16_ref(float *pf, float *s, int n, float mult) {
    float max = -INFINITY;
    for (int j = 0; j < n; j++) max = s[j] > max ? s[j] : max;
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        s[j] = expf(s[j] - max);
        sum += (double)s[j];
    }
    const float inv = (float)(1.0 / sum);
    for (int j = 0; j < n; j++) pf[j] = bn_fp16_to_fp32(bn_fp32_to_fp16(s[j] * inv)) * mult;
}

#if defined(__wasm_simd128__)
// exp(x) for x <= 0, 4 lanes (Cephes expf: x = n ln2 + r with n = nearest(x log2 e), ln2 split in two so r is
// exact, a degree-7 polynomial on r, 2^n through the exponent bits; within 2 ulp of expf). x is clamped at
// -87.3 (n >= -126, a normal 2^n): below that expf is under 1.6e-38, and so are these, which the f16 rounding
// of the probabilities (sum >= 1) turns into 0 either way.
static inline v128_t exp_nonpos_f32x4(v128_t x) {
    x = wasm_f32x4_max(x, wasm_f32x4_splat(-87.33654f));
    const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
    v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
    v128_t y = wasm_f32x4_splat(1.9875691500E-4f);
    y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.3981999507E-3f));
    y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(8.3334519073E-3f));
    y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(4.1665795894E-2f));
    y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.6666665459E-1f));
    y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(5.0000001201E-1f));
    y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, wasm_f32x4_mul(r, r)), r), wasm_f32x4_splat(1.0f));
    const v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
    return wasm_f32x4_mul(y, pow2n);
}

// v (finite, >= 0) rounded to the nearest f16 value, ties to even, as f32 (bn_fp32_to_fp16 then back, for
// v below 65504): normal halves drop 13 mantissa bits (integer round-half-even, a carry bumps the
// exponent); below 2^-14 the halves are the multiples of 2^-24, which adding and removing 0.5 rounds to
// (the f32 spacing at 0.5 is 2^-24).
static inline v128_t round_f16_f32x4(v128_t v) {
    const v128_t lsb = wasm_v128_and(wasm_u32x4_shr(v, 13), wasm_i32x4_splat(1));
    const v128_t normal = wasm_v128_and(wasm_i32x4_add(v, wasm_i32x4_add(wasm_i32x4_splat(0xfff), lsb)), wasm_i32x4_splat((int32_t)0xffffe000u));
    const v128_t sub = wasm_f32x4_sub(wasm_f32x4_add(v, wasm_f32x4_splat(0.5f)), wasm_f32x4_splat(0.5f));
    return wasm_v128_bitselect(sub, normal, wasm_f32x4_lt(v, wasm_f32x4_splat(0x1p-14f)));
}

void bn_round_f16_f32(float *y, const float *x, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) wasm_v128_store(y + j, round_f16_f32x4(wasm_v128_load(x + j)));
    for (; j < n; j++) y[j] = bn_fp16_to_fp32(bn_fp32_to_fp16(x[j]));
}

// The SIMD128 softmax (the wasm builds): exp_nonpos_f32x4 for expf, the sum in two f64 lanes, the
// probabilities rounded with round_f16_f32x4 (bit-identical to the reference's rounding; the selftest
// compares both with the reference). A last partial vector goes through a padded copy.
void bn_softmax_f16(float *pf, float *s, int n, float mult) {
    const int n4 = n & ~3;
    v128_t mv = wasm_f32x4_splat(-INFINITY);
    for (int j = 0; j < n4; j += 4) mv = wasm_f32x4_pmax(mv, wasm_v128_load(s + j));
    mv = wasm_f32x4_pmax(mv, wasm_i32x4_shuffle(mv, mv, 2, 3, 0, 1));
    mv = wasm_f32x4_pmax(mv, wasm_i32x4_shuffle(mv, mv, 1, 0, 3, 2));
    float max = wasm_f32x4_extract_lane(mv, 0);
    for (int j = n4; j < n; j++) max = s[j] > max ? s[j] : max;
    mv = wasm_f32x4_splat(max);
    v128_t acc = wasm_f64x2_splat(0.0);
    for (int j = 0; j < n4; j += 4) {
        const v128_t e = exp_nonpos_f32x4(wasm_f32x4_sub(wasm_v128_load(s + j), mv));
        wasm_v128_store(s + j, e);
        acc = wasm_f64x2_add(acc, wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(e), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(e, e, 2, 3, 0, 1))));
    }
    double sum = wasm_f64x2_extract_lane(acc, 0) + wasm_f64x2_extract_lane(acc, 1);
    float tail[4] = {max, max, max, max};
    if (n4 < n) {
        memcpy(tail, s + n4, (size_t)(n - n4) * 4);
        wasm_v128_store(tail, exp_nonpos_f32x4(wasm_f32x4_sub(wasm_v128_load(tail), mv)));
        for (int j = n4; j < n; j++) sum += (double)(s[j] = tail[j - n4]);
    }
    const v128_t inv = wasm_f32x4_splat((float)(1.0 / sum)), mu = wasm_f32x4_splat(mult);
    for (int j = 0; j < n4; j += 4) wasm_v128_store(pf + j, wasm_f32x4_mul(round_f16_f32x4(wasm_f32x4_mul(wasm_v128_load(s + j), inv)), mu));
    if (n4 < n) {
        memcpy(tail, s + n4, (size_t)(n - n4) * 4);
        wasm_v128_store(tail, wasm_f32x4_mul(round_f16_f32x4(wasm_f32x4_mul(wasm_v128_load(tail), inv)), mu));
        memcpy(pf + n4, tail, (size_t)(n - n4) * 4);
    }
}
#else
void bn_round_f16_f32(float *y, const float *x, int n) {
    for (int j = 0; j < n; j++) y[j] = bn_fp16_to_fp32(bn_fp32_to_fp16(x[j]));
}
void bn_softmax_f16(float *pf, float *s, int n, float mult) { bn_softmax_f16_ref(pf, s, n, mult); }
#endif

// One head at a time through a kernel set's dot_f16_xs and axpy_f16 (the generic set's attend, and the
// fallback of SIMD sets for shapes their blocks do not cover). Same scratch layout as above.
void bn_attend_generic_set(const bn_kernel_set *ks, float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v,
                           size_t kv_row, int n_kv, int hd, float scale, void *scratch) {
    float *qs = scratch, *s = qs + (size_t)BN_ATT_GROUP_MAX * BN_ATT_MAX_HEAD_DIM, *pf = s + (size_t)BN_ATT_GROUP_MAX * n_kv;
    for (int i = 0; i < nh; i++) {
        const float *qh = q + (size_t)i * hd;
        float *oh = out + (size_t)i * hd;
        for (int d = 0; d < hd; d++) qs[d] = bn_fp16_to_fp32(bn_fp32_to_fp16(qh[d])) * BN_F16_XSCALE;
        for (int j = 0; j < n_kv; j++) s[j] = ks->dot_f16_xs(k + (size_t)j * kv_row, qs, hd) * scale;
        bn_softmax_f16(pf, s, n_kv, 1.0f);
        memset(oh, 0, (size_t)hd * 4);
        for (int j = 0; j < n_kv; j++) ks->axpy_f16(oh, pf[j], v + (size_t)j * kv_row, hd);
    }
}

void bn_attend_generic(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                       float scale, void *scratch) {
    bn_attend_generic_set(&bn_kernels_generic, out, q, nh, k, v, kv_row, n_kv, hd, scale, scratch);
}

typedef struct {
    float *out;
    const float *q;
    const bn_fp16 *k, *v;
    int n_tokens, pos0, n_head, n_head_kv, head_dim;
    size_t head_stride, pos_stride;  // elements between KV heads, between positions of one KV head
    uint8_t *scratch;
    size_t scratch_stride;
    const bn_kernel_set *ks;
} att_task;

// The work is split into units of one token and one run of at most BN_ATT_GROUP_MAX heads that share a KV
// head (the set's attend kernel reads each K and V row once for the whole run; per-head results do not depend on
// the runs, so any split gives the same bits). Splitting by heads instead cut the runs: 20 heads over 16 tasks
// (2 threads) made 10 runs of 2 heads, each costing a run of 4, so 2 threads decoded attention no faster than 1.
// Scratch is per thread.
static void att_worker(void *arg, int ith, int nth, int thread) {
    const att_task *a = arg;
    const int hd = a->head_dim, group = a->n_head / a->n_head_kv;
    void *sc = a->scratch + a->scratch_stride * thread;
    const float scale = 1.0f / sqrtf((float)hd);
    const int runs = (group + BN_ATT_GROUP_MAX - 1) / BN_ATT_GROUP_MAX, per_token = a->n_head_kv * runs;
    const int n_units = a->n_tokens * per_token;
    const int u0 = (int)((int64_t)n_units * ith / nth), u1 = (int)((int64_t)n_units * (ith + 1) / nth);
    for (int u = u0; u < u1; u++) {
        const int t = u / per_token, g = u % per_token / runs, r = u % runs;
        const int h = g * group + r * BN_ATT_GROUP_MAX, he = h + BN_ATT_GROUP_MAX < (g + 1) * group ? h + BN_ATT_GROUP_MAX : (g + 1) * group;
        const int n_kv = a->pos0 + t + 1;
        const size_t qo = ((size_t)t * a->n_head + h) * hd;
        a->ks->attend(a->out + qo, a->q + qo, he - h, a->k + g * a->head_stride, a->v + g * a->head_stride, a->pos_stride, n_kv, hd, scale, sc);
    }
}

// One fork/join over att_worker's units for either cache layout (strides in elements: head_stride between KV
// heads, pos_stride between the positions of one KV head). Thread i uses scratch + i *
// bn_attention_scratch_bytes(pos0 + n_tokens), which stays inside n_threads * bn_attention_scratch_bytes(n_ctx)
// for any n_ctx >= pos0 + n_tokens.
static void att_run(float *out, const float *q, const bn_fp16 *k, const bn_fp16 *v, int n_tokens, int pos0, int n_head, int n_head_kv,
                    int head_dim, size_t head_stride, size_t pos_stride, void *scratch) {
    att_task a = {out, q, k, v, n_tokens, pos0, n_head, n_head_kv, head_dim, head_stride, pos_stride,
                  scratch, bn_attention_scratch_bytes(pos0 + n_tokens), bn_kernels_active()};
    bn_parallel(att_worker, &a, n_tokens * n_head_kv * ((n_head / n_head_kv + BN_ATT_GROUP_MAX - 1) / BN_ATT_GROUP_MAX));
}

static bn_status att_check(const float *out, const float *q, const bn_fp16 *k, const bn_fp16 *v, int n_tokens, int pos0,
                           int n_head, int n_head_kv, int head_dim) {
    if (!out || !q || !k || !v || n_tokens <= 0 || pos0 < 0 || n_head <= 0 || n_head_kv <= 0 || head_dim <= 0) return BN_ERR_ARG;
    if (n_head % n_head_kv || head_dim > BN_ATT_MAX_HEAD_DIM) return BN_ERR_SHAPE;
    return BN_OK;
}

BN_API bn_status bn_attention(float *out, const float *q, const bn_fp16 *k_cache, const bn_fp16 *v_cache, int n_tokens,
                              int pos0, int n_head, int n_head_kv, int head_dim, void *scratch) {
    bn_status st = att_check(out, q, k_cache, v_cache, n_tokens, pos0, n_head, n_head_kv, head_dim);
    if (st) return st;
    if (!scratch) return BN_ERR_ARG;
    att_run(out, q, k_cache, v_cache, n_tokens, pos0, n_head, n_head_kv, head_dim, (size_t)head_dim, (size_t)n_head_kv * head_dim, scratch);
    return BN_OK;
}

// The head-major cache (the model's): each KV head's rows are one contiguous run, so attention streams
// each head's keys and values sequentially. Position-major rows (bn_attention) have the heads of a position
// side by side: one head's 256 bytes, then a 1 KB gap, for 2B-4T; decoding at 1024 positions, attention
// read its KV at 1.5 GB/s that way.
BN_API bn_status bn_kv_store_hm(bn_fp16 *cache, const float *x, int n_tokens, int pos0, int n_head_kv, int head_dim, int n_ctx) {
    if (!cache || !x || n_tokens <= 0 || pos0 < 0 || n_head_kv <= 0 || head_dim <= 0 || n_ctx <= 0) return BN_ERR_ARG;
    if (pos0 > n_ctx - n_tokens) return BN_ERR_RANGE;
    for (int t = 0; t < n_tokens; t++)
        for (int h = 0; h < n_head_kv; h++) {
            bn_fp16 *dst = cache + ((size_t)h * n_ctx + pos0 + t) * head_dim;
            const float *src = x + ((size_t)t * n_head_kv + h) * head_dim;
            for (int d = 0; d < head_dim; d++) dst[d] = bn_fp32_to_fp16(src[d]);
        }
    return BN_OK;
}

BN_API bn_status bn_attention_hm(float *out, const float *q, const bn_fp16 *k_cache, const bn_fp16 *v_cache, int n_tokens,
                                 int pos0, int n_head, int n_head_kv, int head_dim, int n_ctx, void *scratch) {
    bn_status st = att_check(out, q, k_cache, v_cache, n_tokens, pos0, n_head, n_head_kv, head_dim);
    if (st) return st;
    if (!scratch || n_ctx <= 0) return BN_ERR_ARG;
    if (pos0 > n_ctx - n_tokens) return BN_ERR_RANGE;
    att_run(out, q, k_cache, v_cache, n_tokens, pos0, n_head, n_head_kv, head_dim, (size_t)n_ctx * head_dim, (size_t)head_dim, scratch);
    return BN_OK;
}

bn_status bn_attention_ref(float *out, const float *q, const bn_fp16 *k, const bn_fp16 *v, int n_tokens, int pos0,
                           int n_head, int n_head_kv, int head_dim) {
    bn_status st = att_check(out, q, k, v, n_tokens, pos0, n_head, n_head_kv, head_dim);
    if (st) return st;
    const int hd = head_dim, group = n_head / n_head_kv, n_max = pos0 + n_tokens;
    const size_t kv_row = (size_t)n_head_kv * hd;
    float s[n_max], p[n_max];
    const float scale = 1.0f / sqrtf((float)hd);
    for (int t = 0; t < n_tokens; t++) {
        const int n_kv = pos0 + t + 1;
        for (int h = 0; h < n_head; h++) {
            const int g = h / group;
            const float *qh = q + ((size_t)t * n_head + h) * hd;
            for (int j = 0; j < n_kv; j++) {
                double sum = 0.0;
                for (int d = 0; d < hd; d++)
                    sum += (double)(bn_fp16_to_fp32(bn_fp32_to_fp16(qh[d])) * bn_fp16_to_fp32(k[j * kv_row + (size_t)g * hd + d]));
                s[j] = (float)sum * scale;
            }
            bn_softmax_f16_ref(p, s, n_kv, 1.0f);
            for (int d = 0; d < hd; d++) {
                double sum = 0.0;
                for (int j = 0; j < n_kv; j++) sum += (double)(p[j] * bn_fp16_to_fp32(v[j * kv_row + (size_t)g * hd + d]));
                out[((size_t)t * n_head + h) * hd + d] = (float)sum;
            }
        }
    }
    return BN_OK;
}

// ---------------------------------------------------------------------------------------------
// Gates and elementwise

BN_API bn_status bn_relu2_mul(float *out, const float *gate, const float *up, int n) {
    if (!out || !gate || !up || n <= 0) return BN_ERR_ARG;
    int i = 0;
#if defined(__wasm_simd128__)
    const v128_t zero = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= n; i += 4) {  // pmax(0, g) = g > 0 ? g : 0, NaN -> 0 like the loop below
        const v128_t r = wasm_f32x4_pmax(zero, wasm_v128_load(gate + i));
        wasm_v128_store(out + i, wasm_f32x4_mul(wasm_f32x4_mul(r, r), wasm_v128_load(up + i)));
    }
#endif
    for (; i < n; i++) {
        const float r = gate[i] > 0.0f ? gate[i] : 0.0f;
        out[i] = (r * r) * up[i];
    }
    return BN_OK;
}

BN_API bn_status bn_silu_mul(float *out, const float *gate, const float *up, int n) {
    if (!out || !gate || !up || n <= 0) return BN_ERR_ARG;
    for (int i = 0; i < n; i++) out[i] = (gate[i] / (1.0f + expf(-gate[i]))) * up[i];
    return BN_OK;
}

BN_API bn_status bn_add(float *y, const float *x, int n) {
    if (!y || !x || n <= 0) return BN_ERR_ARG;
    int i = 0;
#if defined(__wasm_simd128__)
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
#endif
    for (; i < n; i++) y[i] += x[i];
    return BN_OK;
}

BN_API bn_status bn_scale(float *y, float s, int n) {
    if (!y || n <= 0) return BN_ERR_ARG;
    for (int i = 0; i < n; i++) y[i] *= s;
    return BN_OK;
}
