// quants.c — scalar ground truth for every encoding: fp16 conversion, the activation quantizers
// (bitnet.cpp int8-per-row, llama.cpp Q8_K and Q8_0), decoders for the GGUF weight types, and the
// exported bn_act_* / bn_dequantize_rows / bn_get_rows built on them.
#include "kernels-internal.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

// ---------------------------------------------------------------------------------------------
// fp16 <-> fp32 (IEEE binary16, round to nearest even)

static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float bn_fp16_to_fp32_ref(bn_fp16 h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (man << 13));  // inf / NaN (payload kept)
    if (exp == 0) {  // zero or subnormal: man * 2^-24, exact in f32
        const float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
}

bn_fp16 bn_fp32_to_fp16_ref(float f) {
    const uint32_t u = f32_bits(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    const uint32_t a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (a > 0x7f800000u ? 0x200 | ((a >> 13) & 0x3ff) : 0));
    if (a >= 0x477ff000u) return sign | 0x7c00;  // rounds to >= 65520 -> inf
    if (a < 0x38800000u) {                         // below 2^-14: subnormal half (or zero)
        // value * 2^24 rounded to an integer, ties to even
        const float v = f32_from_bits(a) * 0x1p24f;  // exact (power-of-two scaling, stays normal or exact)
        float r = rintf(v);                           // default rounding mode: nearest even
        return (uint16_t)(sign | (uint16_t)r);        // r <= 1024: 1024 is the smallest normal, encoded right
    }
    // normal: drop 13 mantissa bits with round-to-nearest-even; a carry may bump the exponent (fine)
    const uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | ((rounded - (112u << 23)) >> 13));
}

float bn_fp16_to_fp32(bn_fp16 h) { return bn_fp16_to_fp32_ref(h); }
bn_fp16 bn_fp32_to_fp16(float f) { return bn_fp32_to_fp16_ref(f); }

// ---------------------------------------------------------------------------------------------
// Activation quantizers

// bitnet.cpp quantize_row_i8_s: s = 127 / max(max|x|, 1e-5) with the max taken in double,
// q = x*s rounded half to even, clamped to [-128, 127]; non-finite products become 0.
void bn_quantize_row_i8_ref(int8_t *q, float *s_out, int32_t *sum_out, const float *x, int n) {
    double max = 0.00001;
    for (int i = 0; i < n; i++) {
        const double a = fabs((double)x[i]);
        if (a > max) max = a;  // NaN never compares greater
    }
    const float s = (float)(127.0 / max);
    int32_t sum = 0;
    for (int i = 0; i < n; i++) {
        const float v = rintf(x[i] * s);
        int qi = v != v ? 0 : v > 127.0f ? 127 : v < -128.0f ? -128 : (int)v;
        q[i] = (int8_t)qi;
        sum += qi;
    }
    *s_out = s;
    *sum_out = sum;
}

// The same quantization plus q16 = q widened (the I2_S activation row layout, pack.c), SIMD128 where
// compiled: f32 pseudo-max (NaN never wins, as in the reference), the same double division for s, the
// same f32 products rounded half-to-even (f32x4.nearest = rintf), NaN -> 0 (trunc_sat), clamp, so the
// bytes are identical to bn_quantize_row_i8_ref's (the selftest checks it).
void bn_quantize_row_i8(int8_t *q, int16_t *q16, float *s_out, int32_t *sum_out, const float *x, int n) {
#if defined(__wasm_simd128__)
    if (n % 16 == 0) {
        v128_t amax = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < n; i += 4) amax = wasm_f32x4_pmax(amax, wasm_f32x4_abs(wasm_v128_load(x + i)));
        amax = wasm_f32x4_pmax(amax, wasm_i32x4_shuffle(amax, amax, 2, 3, 0, 1));  // no lane is NaN here
        amax = wasm_f32x4_pmax(amax, wasm_i32x4_shuffle(amax, amax, 1, 0, 3, 2));
        const float a = wasm_f32x4_extract_lane(amax, 0);
        const double max = (double)a > 0.00001 ? (double)a : 0.00001;
        const float s = (float)(127.0 / max);
        const v128_t sv = wasm_f32x4_splat(s), lo = wasm_i32x4_splat(-128), hi = wasm_i32x4_splat(127);
        v128_t acc = wasm_i32x4_splat(0);
        for (int i = 0; i < n; i += 16) {
            v128_t r[4];
            for (int k = 0; k < 4; k++) {
                const v128_t v = wasm_f32x4_nearest(wasm_f32x4_mul(wasm_v128_load(x + i + 4 * k), sv));
                r[k] = wasm_i32x4_min(wasm_i32x4_max(wasm_i32x4_trunc_sat_f32x4(v), lo), hi);
                acc = wasm_i32x4_add(acc, r[k]);
            }
            const v128_t h0 = wasm_i16x8_narrow_i32x4(r[0], r[1]), h1 = wasm_i16x8_narrow_i32x4(r[2], r[3]);
            wasm_v128_store(q16 + i, h0);
            wasm_v128_store(q16 + i + 8, h1);
            wasm_v128_store(q + i, wasm_i8x16_narrow_i16x8(h0, h1));
        }
        *s_out = s;
        *sum_out = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
        return;
    }
#endif
    bn_quantize_row_i8_ref(q, s_out, sum_out, x, n);
    for (int i = 0; i < n; i++) q16[i] = q[i];
}

// llama.cpp's nearest_int: ties to even through the 1.5*2^23 magic add (valid for |v| < 2^22)
static inline int nearest_int(float v) {
    const float val = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &val, 4);
    return (i & 0x007fffff) - 0x00400000;
}

// llama.cpp quantize_row_q8_K_ref: per 256-value block, iscale = -127 / (the value of largest
// magnitude, first one on ties), q = min(127, nearest_int(iscale*x)), d = 1/iscale; bsums per 16.
void bn_quantize_row_q8_K_ref(block_q8_K *y, const float *x, int n) {
    for (int b = 0; b < n / QK_K; b++, x += QK_K) {
        float max = 0.0f, amax = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            const float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (!(amax > 0.0f) || !isfinite(amax)) {
            memset(&y[b], 0, sizeof(block_q8_K));
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            const float v = iscale * x[j];
            const int qi = v != v ? 0 : nearest_int(v);
            y[b].qs[j] = (int8_t)(qi < 127 ? qi : 127);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            int s = 0;
            for (int i = 0; i < 16; i++) s += y[b].qs[16 * j + i];
            y[b].bsums[j] = (int16_t)s;
        }
        y[b].d = 1.0f / iscale;
    }
}

// q16 = b's qs widened, *qsum = their sum (for a block the reference quantized)
static void q8_K_widen(const block_q8_K *b, int16_t *q16, int32_t *qsum) {
    int32_t s = 0;
    for (int i = 0; i < QK_K; i++) s += q16[i] = b->qs[i];
    *qsum = s;
}

// The same Q8_K blocks plus, per block, q16 = qs widened and qsum = the sum of qs (the TQ activation row
// layout, pack.c), SIMD128 where compiled, bytes identical to bn_quantize_row_q8_K_ref's (the selftest checks
// it): the largest magnitude by a NaN-skipping pmax, the first element of that magnitude by compare + bitmask
// (its sign sets iscale's, as the reference's first-wins scan), the same f32 product, f32x4.nearest (ties to
// even, as nearest_int for |v| < 2^22; here |v| <= 127), NaN -> 0 by trunc_sat, then min 127.
void bn_quantize_row_q8_K(block_q8_K *y, int16_t *q16, int32_t *qsum, const float *x, int n) {
#if defined(__wasm_simd128__)
    for (int b = 0; b < n / QK_K; b++, x += QK_K, q16 += QK_K) {
        v128_t am = wasm_f32x4_splat(0.0f);
        for (int j = 0; j < QK_K; j += 4) am = wasm_f32x4_pmax(am, wasm_f32x4_abs(wasm_v128_load(x + j)));
        am = wasm_f32x4_pmax(am, wasm_i32x4_shuffle(am, am, 2, 3, 0, 1));
        am = wasm_f32x4_pmax(am, wasm_i32x4_shuffle(am, am, 1, 0, 3, 2));
        const float amax = wasm_f32x4_extract_lane(am, 0);
        if (!(amax > 0.0f) || !isfinite(amax)) {
            memset(&y[b], 0, sizeof(block_q8_K));
            memset(q16, 0, QK_K * sizeof(int16_t));
            qsum[b] = 0;
            continue;
        }
        float max = amax;
        for (int j = 0; j < QK_K; j += 4) {
            const int m = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_f32x4_abs(wasm_v128_load(x + j)), wasm_f32x4_splat(amax)));
            if (m) {
                max = x[j + __builtin_ctz((unsigned)m)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        if (!isfinite(iscale)) {  // max below ~3.7e-37: the reference's nearest_int then meets +-inf, its own answer
            bn_quantize_row_q8_K_ref(&y[b], x, QK_K);
            q8_K_widen(&y[b], q16, &qsum[b]);
            continue;
        }
        const v128_t sv = wasm_f32x4_splat(iscale), hi = wasm_i32x4_splat(127);
        v128_t acc = wasm_i32x4_splat(0);
        for (int j = 0; j < QK_K; j += 16) {
            v128_t r[4];
            for (int k = 0; k < 4; k++)
                r[k] = wasm_i32x4_min(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(sv, wasm_v128_load(x + j + 4 * k)))), hi);
            const v128_t h0 = wasm_i16x8_narrow_i32x4(r[0], r[1]), h1 = wasm_i16x8_narrow_i32x4(r[2], r[3]);
            wasm_v128_store(q16 + j, h0);
            wasm_v128_store(q16 + j + 8, h1);
            wasm_v128_store(y[b].qs + j, wasm_i8x16_narrow_i16x8(h0, h1));
            const v128_t s16 = wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(h0), wasm_i32x4_extadd_pairwise_i16x8(h1));
            acc = wasm_i32x4_add(acc, s16);
            y[b].bsums[j / 16] = (int16_t)(wasm_i32x4_extract_lane(s16, 0) + wasm_i32x4_extract_lane(s16, 1) + wasm_i32x4_extract_lane(s16, 2) + wasm_i32x4_extract_lane(s16, 3));
        }
        y[b].d = 1.0f / iscale;
        qsum[b] = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
    }
#else
    bn_quantize_row_q8_K_ref(y, x, n);
    for (int b = 0; b < n / QK_K; b++) q8_K_widen(&y[b], q16 + QK_K * b, &qsum[b]);
#endif
}

// roundf (half away from zero) without the libm call: exact, since v - trunc(v) is exact in f32
static inline float round_away(float v) {
    const float t = truncf(v);
    return fabsf(v - t) >= 0.5f ? t + copysignf(1.0f, v) : t;
}

// ggml quantize_row_q8_0_ref: d = amax/127, q = roundf(x / d) (half away from zero)
void bn_quantize_row_q8_0_ref(block_q8_0 *y, const float *x, int n) {
    for (int b = 0; b < n / QK8_0; b++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = bn_fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; j++) {
            const float v = round_away(x[j] * id);
            y[b].qs[j] = (int8_t)(v != v ? 0 : v > 127.0f ? 127 : v < -128.0f ? -128 : (int)v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Code extraction from the GGUF ternary encodings (0 -> -1, 1 -> 0, 2 -> +1)

int bn_i2s_code_at(const uint8_t *i2s, size_t e) {
    const size_t blk = e / QK_I2S, j = e % QK_I2S;
    return (i2s[blk * 32 + (j % 32)] >> (6 - 2 * (j / 32))) & 3;  // MSB first, 4 columns of 32
}

int bn_tq2_code_at(const block_tq2_0 *b, int j) {
    const int c = j / 128, r = j % 128;  // chunk of 128: byte m = r % 32, shift slot n = r / 32
    return (b->qs[32 * c + r % 32] >> (2 * (r / 32))) & 3;
}

static inline int trit(uint8_t byte, int n) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    const uint8_t q = (uint8_t)(byte * pow3[n]);  // mod 256
    return ((uint16_t)q * 3) >> 8;
}

int bn_tq1_code_at(const block_tq1_0 *b, int j) {
    if (j < 160) return trit(b->qs[j % 32], j / 32);             // qs[0..31], 5 slots
    if (j < 240) return trit(b->qs[32 + (j - 160) % 16], (j - 160) / 16);  // qs[32..47], 5 slots
    return trit(b->qh[(j - 240) % 4], (j - 240) / 4);            // qh, 4 slots
}

// ---------------------------------------------------------------------------------------------
// Decoders (one row of `cols` values)

static void dequant_q4_K(float *out, const block_q4_K *b) {
    const float d = bn_fp16_to_fp32(b->d), dmin = bn_fp16_to_fp32(b->dmin);
    for (int c = 0; c < 4; c++) {
        int sc[2], m[2];
        for (int h = 0; h < 2; h++) {
            const int j = 2 * c + h;
            if (j < 4) {
                sc[h] = b->scales[j] & 63;
                m[h] = b->scales[j + 4] & 63;
            } else {
                sc[h] = (b->scales[j + 4] & 0x0f) | ((b->scales[j - 4] >> 6) << 4);
                m[h] = (b->scales[j + 4] >> 4) | ((b->scales[j] >> 6) << 4);
            }
        }
        const float d0 = d * sc[0], m0 = dmin * m[0], d1 = d * sc[1], m1 = dmin * m[1];
        const uint8_t *q = b->qs + 32 * c;
        for (int l = 0; l < 32; l++) out[64 * c + l] = d0 * (q[l] & 0xf) - m0;
        for (int l = 0; l < 32; l++) out[64 * c + 32 + l] = d1 * (q[l] >> 4) - m1;
    }
}

static void dequant_q6_K(float *out, const block_q6_K *b) {
    const float d = bn_fp16_to_fp32(b->d);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        const int8_t *sc = b->scales + 8 * h;
        float *o = out + 128 * h;
        for (int l = 0; l < 32; l++) {
            const int s = l / 16;
            const int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            o[l] = d * sc[s + 0] * q1;
            o[l + 32] = d * sc[s + 2] * q2;
            o[l + 64] = d * sc[s + 4] * q3;
            o[l + 96] = d * sc[s + 6] * q4;
        }
    }
}

static int block_size(int type) {
    switch (type) {
    case BN_TYPE_F32: case BN_TYPE_F16: case BN_TYPE_BF16: return 1;
    case BN_TYPE_Q8_0: case BN_TYPE_Q4_0: return 32;
    case BN_TYPE_Q4_K: case BN_TYPE_Q6_K: case BN_TYPE_TQ1_0: case BN_TYPE_TQ2_0: return QK_K;
    default: return 0;
    }
}

// Bytes of one GGUF row of `cols` values (not I2_S, which has no per-row size); 0 if unsupported.
size_t bn_gguf_row_bytes(int type, int cols) {
    const int bs = block_size(type);
    if (bs == 0 || cols <= 0 || cols % bs) return 0;
    size_t per;
    switch (type) {
    case BN_TYPE_F32: per = 4; break;
    case BN_TYPE_F16: case BN_TYPE_BF16: per = 2; break;
    case BN_TYPE_Q8_0: per = sizeof(block_q8_0); break;
    case BN_TYPE_Q4_0: per = sizeof(block_q4_0); break;
    case BN_TYPE_Q4_K: per = sizeof(block_q4_K); break;
    case BN_TYPE_Q6_K: per = sizeof(block_q6_K); break;
    case BN_TYPE_TQ1_0: per = sizeof(block_tq1_0); break;
    case BN_TYPE_TQ2_0: per = sizeof(block_tq2_0); break;
    default: return 0;
    }
    return (size_t)(cols / bs) * per;
}

bn_status bn_dequantize_row_ref(float *out, const void *src, int type, int cols) {
    const int bs = block_size(type);
    if (bs == 0) return BN_ERR_TYPE;
    if (cols <= 0 || cols % bs) return BN_ERR_SHAPE;
    const int nb = cols / bs;
    switch (type) {
    case BN_TYPE_F32: memcpy(out, src, (size_t)cols * 4); break;
    case BN_TYPE_F16: {
        const bn_fp16 *h = src;
        for (int i = 0; i < cols; i++) out[i] = bn_fp16_to_fp32(h[i]);
    } break;
    case BN_TYPE_BF16: {
        const uint16_t *h = src;
        for (int i = 0; i < cols; i++) out[i] = f32_from_bits((uint32_t)h[i] << 16);
    } break;
    case BN_TYPE_Q8_0: {
        const block_q8_0 *b = src;
        for (int k = 0; k < nb; k++) {
            const float d = bn_fp16_to_fp32(b[k].d);
            for (int j = 0; j < QK8_0; j++) out[32 * k + j] = d * b[k].qs[j];
        }
    } break;
    case BN_TYPE_Q4_0: {
        const block_q4_0 *b = src;
        for (int k = 0; k < nb; k++) {
            const float d = bn_fp16_to_fp32(b[k].d);
            for (int j = 0; j < 16; j++) {
                out[32 * k + j] = d * ((b[k].qs[j] & 0x0f) - 8);
                out[32 * k + j + 16] = d * ((b[k].qs[j] >> 4) - 8);
            }
        }
    } break;
    case BN_TYPE_Q4_K: for (int k = 0; k < nb; k++) dequant_q4_K(out + QK_K * k, (const block_q4_K *)src + k); break;
    case BN_TYPE_Q6_K: for (int k = 0; k < nb; k++) dequant_q6_K(out + QK_K * k, (const block_q6_K *)src + k); break;
    case BN_TYPE_TQ2_0: {
        const block_tq2_0 *b = src;
        for (int k = 0; k < nb; k++) {
            const float d = bn_fp16_to_fp32(b[k].d);
            for (int j = 0; j < QK_K; j++) out[QK_K * k + j] = (float)(bn_tq2_code_at(&b[k], j) - 1) * d;
        }
    } break;
    case BN_TYPE_TQ1_0: {
        const block_tq1_0 *b = src;
        for (int k = 0; k < nb; k++) {
            const float d = bn_fp16_to_fp32(b[k].d);
            for (int j = 0; j < QK_K; j++) out[QK_K * k + j] = (float)(bn_tq1_code_at(&b[k], j) - 1) * d;
        }
    } break;
    default: return BN_ERR_TYPE;
    }
    return BN_OK;
}

BN_API bn_status bn_dequantize_rows(float *out, const void *src, int type, int n_rows, int cols) {
    if (!out || !src || n_rows <= 0 || cols <= 0) return BN_ERR_ARG;
    const size_t rb = bn_gguf_row_bytes(type, cols);
    if (rb == 0) return block_size(type) ? BN_ERR_SHAPE : BN_ERR_TYPE;
    for (int r = 0; r < n_rows; r++) {
        const bn_status st = bn_dequantize_row_ref(out + (size_t)r * cols, (const uint8_t *)src + rb * r, type, cols);
        if (st) return st;
    }
    return BN_OK;
}

BN_API bn_status bn_get_rows(float *out, const void *table, int type, int n_vocab, int cols, const int32_t *ids, int n_ids) {
    if (!out || !table || !ids || n_vocab <= 0 || cols <= 0 || n_ids <= 0) return BN_ERR_ARG;
    const size_t rb = bn_gguf_row_bytes(type, cols);
    if (rb == 0) return block_size(type) ? BN_ERR_SHAPE : BN_ERR_TYPE;
    for (int i = 0; i < n_ids; i++)
        if (ids[i] < 0 || ids[i] >= n_vocab) return BN_ERR_RANGE;
    for (int i = 0; i < n_ids; i++) {
        const bn_status st = bn_dequantize_row_ref(out + (size_t)i * cols, (const uint8_t *)table + rb * (size_t)ids[i], type, cols);
        if (st) return st;
    }
    return BN_OK;
}

BN_API bn_status bn_weight_get_rows(float *out, const bn_weight *w, const int32_t *ids, int n_ids) {
    if (!out || !w || !w->data || !ids || n_ids <= 0) return BN_ERR_ARG;
    if (w->type == BN_TYPE_F32)  // packed layout = GGUF layout
        return bn_get_rows(out, w->data, w->type, w->rows, w->cols, ids, n_ids);
    if (w->type != BN_TYPE_F16 && w->type != BN_TYPE_Q8_0) return BN_ERR_TYPE;
    const int cols = w->cols;
    if (w->rows <= 0 || cols <= 0 || (w->type == BN_TYPE_Q8_0 && cols % QK8_0)) return BN_ERR_SHAPE;
    for (int i = 0; i < n_ids; i++)
        if (ids[i] < 0 || ids[i] >= w->rows) return BN_ERR_RANGE;
    if (w->type == BN_TYPE_F16) {  // 4-row interleaved (kernels-internal.h): chunk by chunk
        for (int i = 0; i < n_ids; i++) {
            const bn_fp16 *row = bn_f16_row(w->data, cols, ids[i]);
            for (int c0 = 0; c0 < cols; c0 += BN_F16_CHUNK) {
                const int n = cols - c0 < BN_F16_CHUNK ? cols - c0 : BN_F16_CHUNK;
                const bn_status st = bn_dequantize_row_ref(out + (size_t)i * cols + c0, row + (size_t)BN_F16_STRIDE * (c0 / BN_F16_CHUNK), BN_TYPE_F16, n);
                if (st) return st;
            }
        }
        return BN_OK;
    }
    const int nb = cols / QK8_0;
    for (int i = 0; i < n_ids; i++)
        for (int b = 0; b < nb; b++) {  // back to a GGUF block, then the reference decoder
            const uint8_t *gb = bn_q8_0_group_block(w->data, nb, ids[i], b);
            block_q8_0 blk;
            blk.d = bn_q8_0_scale(gb, ids[i] % BN_Q8_0_ROWS);
            memcpy(blk.qs, bn_q8_0_quants(gb, ids[i] % BN_Q8_0_ROWS), QK8_0);
            const bn_status st = bn_dequantize_row_ref(out + (size_t)i * cols + (size_t)b * QK8_0, &blk, BN_TYPE_Q8_0, QK8_0);
            if (st) return st;
        }
    return BN_OK;
}
