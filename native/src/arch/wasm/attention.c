// arch/wasm/attention.c — SIMD128 attention for the query heads that share one KV head (grouped-query
// attention), one token: every K and V row is read and decoded from f16 once for up to 4 heads.
// Semantics as ggml with an F16 cache (see ops.c): Q rounded to f16, exact f16 x f16 products summed
// in f32, softmax in f32, probabilities rounded to f16, exact products with V summed in f32.
//   scores   j outer, d inner: 2 f32 accumulators per head; per 8 elements of a K row 1 load and 6
//            decode ops (the 2^-112-scaled bit trick of simd.c), then a mul + add per head and half;
//   output   d outer (8 columns at a time, 8 accumulators = 4 heads x 2 halves), j inner: the same
//            operations in the same order per lane as axpy_f16 over j, so the output equals the
//            per-head SIMD128 path bit for bit; only the score sums are ordered differently.
// The former per-head path called a dot and an axpy per (head, key): 2.3x the instructions per key.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "../../kernels-internal.h"

enum { HB = 4 };  // heads per block sharing each decoded row

// 8 f16 -> two f32x4 of (value * 2^-112): sign-extend, shift, keep sign + 15 value bits (exact)
static inline void dec8(const bn_fp16 *p, v128_t *lo, v128_t *hi) {
    const v128_t mask = wasm_i32x4_splat((int32_t)0x8FFFE000u);
    const v128_t h = wasm_v128_load(p);
    *lo = wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_extend_low_i16x8(h), 13), mask);
    *hi = wasm_v128_and(wasm_i32x4_shl(wasm_i32x4_extend_high_i16x8(h), 13), mask);
}

static inline float hsum_f32x4(v128_t v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) + (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// scores s[i][j] for a block of HB heads (qs[i]: f16-exact q * 2^100, hd % 8 == 0)
static void scores_block(float *const s[HB], const float *const qs[HB], const bn_fp16 *k, size_t kv_row, int n_kv, int hd, float mult) {
    for (int j = 0; j < n_kv; j++) {
        const bn_fp16 *kj = k + (size_t)j * kv_row;
        v128_t a0 = wasm_f32x4_splat(0.0f), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (int d = 0; d < hd; d += 8) {
            v128_t lo, hi;
            dec8(kj + d, &lo, &hi);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(lo, wasm_v128_load(qs[0] + d)));
            b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(hi, wasm_v128_load(qs[0] + d + 4)));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(lo, wasm_v128_load(qs[1] + d)));
            b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(hi, wasm_v128_load(qs[1] + d + 4)));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(lo, wasm_v128_load(qs[2] + d)));
            b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(hi, wasm_v128_load(qs[2] + d + 4)));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(lo, wasm_v128_load(qs[3] + d)));
            b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(hi, wasm_v128_load(qs[3] + d + 4)));
        }
        s[0][j] = hsum_f32x4(wasm_f32x4_add(a0, b0)) * mult;
        s[1][j] = hsum_f32x4(wasm_f32x4_add(a1, b1)) * mult;
        s[2][j] = hsum_f32x4(wasm_f32x4_add(a2, b2)) * mult;
        s[3][j] = hsum_f32x4(wasm_f32x4_add(a3, b3)) * mult;
    }
}

// out[i][d] = sum_j pf[i][j] * v_j[d] with pf = p * 2^112 and v decoded * 2^-112 (exact products)
static void output_block(float *const out[HB], const float *const pf[HB], const bn_fp16 *v, size_t kv_row, int n_kv, int hd) {
    for (int d = 0; d < hd; d += 8) {
        v128_t a0 = wasm_f32x4_splat(0.0f), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (int j = 0; j < n_kv; j++) {
            v128_t lo, hi;
            dec8(v + (size_t)j * kv_row + d, &lo, &hi);
            v128_t p = wasm_v128_load32_splat(pf[0] + j);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(p, lo));
            b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(p, hi));
            p = wasm_v128_load32_splat(pf[1] + j);
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(p, lo));
            b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(p, hi));
            p = wasm_v128_load32_splat(pf[2] + j);
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(p, lo));
            b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(p, hi));
            p = wasm_v128_load32_splat(pf[3] + j);
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(p, lo));
            b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(p, hi));
        }
        wasm_v128_store(out[0] + d, a0);
        wasm_v128_store(out[0] + d + 4, b0);
        wasm_v128_store(out[1] + d, a1);
        wasm_v128_store(out[1] + d + 4, b1);
        wasm_v128_store(out[2] + d, a2);
        wasm_v128_store(out[2] + d + 4, b2);
        wasm_v128_store(out[3] + d, a3);
        wasm_v128_store(out[3] + d + 4, b3);
    }
}

void bn_attend_simd(float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row, int n_kv, int hd,
                    float scale, void *scratch) {
    if (hd % 8 || nh > BN_ATT_GROUP_MAX) {  // shapes the blocks do not cover: the per-head path
        bn_attend_generic_set(&bn_kernels_simd128, out, q, nh, k, v, kv_row, n_kv, hd, scale, scratch);
        return;
    }
    float *qs = scratch, *s = qs + (size_t)BN_ATT_GROUP_MAX * hd, *pf = s + (size_t)BN_ATT_GROUP_MAX * n_kv;
    float *res = pf + (size_t)BN_ATT_GROUP_MAX * n_kv;  // HB x hd sink for the unused heads of a last block
    for (int i = 0; i < nh; i++)
        for (int d = 0; d < hd; d++) qs[(size_t)i * hd + d] = bn_fp16_to_fp32(bn_fp32_to_fp16(q[(size_t)i * hd + d])) * BN_F16_XSCALE;
    for (int i0 = 0; i0 < nh; i0 += HB) {
        const float *qb[HB];
        float *sb[HB], *pb[HB], *ob[HB];
        for (int i = 0; i < HB; i++) {  // a short last block repeats its first head into sinks
            const int h = i0 + i < nh ? i0 + i : -1;
            qb[i] = qs + (size_t)(h >= 0 ? h : i0) * hd;
            sb[i] = h >= 0 ? s + (size_t)h * n_kv : res;
            pb[i] = h >= 0 ? pf + (size_t)h * n_kv : res;
            ob[i] = h >= 0 ? out + (size_t)h * hd : res;
        }
        scores_block(sb, qb, k, kv_row, n_kv, hd, BN_F16_UNSCALE * scale);
        for (int i = 0; i < HB && i0 + i < nh; i++) bn_softmax_f16(pb[i], sb[i], n_kv, 0x1p112f);
        // sinks read as probabilities: any finite values will do, their output goes to the sink
        for (int i = 0; i < HB; i++)
            if (i0 + i >= nh) pb[i] = pb[0];
        output_block(ob, (const float *const *)pb, v, kv_row, n_kv, hd);
    }
}

#endif  // __wasm_simd128__
