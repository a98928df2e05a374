// arch/wasm/attention.h — SIMD128 attention for the query heads that share one KV head (grouped-query
// attention), one token: every K and V row is read and decoded from f16 once for up to 4 heads. Static
// functions for the file that includes it: arch/wasm/attention.c (the SIMD128 set) and
// arch/wasm-relaxed/attention.c, which defines ATT_MADD as f32x4.relaxed_madd first. Every product is exact
// (f16-exact q x 2^100 times K decoded x 2^-112; f16-rounded probabilities x 2^112 times V decoded x
// 2^-112), so a fused multiply-add rounds like the separate multiply and add: both give identical results.
// Semantics as ggml with an F16 cache (see ops.c): Q rounded to f16, exact f16 x f16 products summed
// in f32, softmax in f32, probabilities rounded to f16, exact products with V summed in f32.
//   scores   j outer, d inner: 2 f32 accumulators per head; per 8 elements of a K row 1 load and 6
//            decode ops (the 2^-112-scaled bit trick of simd.c), then a multiply-add per head and half;
//   output   keys in L1-sized tiles; per tile d outer (8 columns at a time, 8 accumulators = 4 heads x 2
//            halves), j inner: the same operations in the same order per lane as axpy_f16 over j, so the
//            output equals the per-head path bit for bit; only the score sums are ordered differently.
// The former per-head path called a dot and an axpy per (head, key): 2.3x the instructions per key.
#ifndef BN_WASM_ATTENTION_H
#define BN_WASM_ATTENTION_H
#include "../../kernels-internal.h"

#ifndef ATT_MADD
#define ATT_MADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

#include <wasm_simd128.h>

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

// scores s[i][j] for a block of HB heads (qs[i]: f16-exact q * 2^100, hd % 8 == 0). Two keys a step share
// each q load (8 per 8 dims for 4 heads), one f32x4 accumulator per head and key (the decoded low then high 4
// halves of each 8 added in turn): 8 accumulators, q, and two decoded rows fit V8's 16 vector registers. A
// key's score is the same whether it is computed in a pair or alone (the last key of an odd count).
#define SC_HEAD(a, c, i)                                                              \
    do {                                                                              \
        const v128_t ql = wasm_v128_load(qs[i] + d), qh = wasm_v128_load(qs[i] + d + 4); \
        a = ATT_MADD(ATT_MADD(a, lo0, ql), hi0, qh);                                   \
        c = ATT_MADD(ATT_MADD(c, lo1, ql), hi1, qh);                                   \
    } while (0)
static void scores_block(float *const s[HB], const float *const qs[HB], const bn_fp16 *k, size_t kv_row, int n_kv, int hd, float mult) {
    int j = 0;
    for (; j + 2 <= n_kv; j += 2) {
        const bn_fp16 *k0 = k + (size_t)j * kv_row, *k1 = k0 + kv_row;
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int d = 0; d < hd; d += 8) {
            v128_t lo0, hi0, lo1, hi1;
            dec8(k0 + d, &lo0, &hi0);
            dec8(k1 + d, &lo1, &hi1);
            SC_HEAD(a0, c0, 0);
            SC_HEAD(a1, c1, 1);
            SC_HEAD(a2, c2, 2);
            SC_HEAD(a3, c3, 3);
        }
        s[0][j] = hsum_f32x4(a0) * mult;
        s[1][j] = hsum_f32x4(a1) * mult;
        s[2][j] = hsum_f32x4(a2) * mult;
        s[3][j] = hsum_f32x4(a3) * mult;
        s[0][j + 1] = hsum_f32x4(c0) * mult;
        s[1][j + 1] = hsum_f32x4(c1) * mult;
        s[2][j + 1] = hsum_f32x4(c2) * mult;
        s[3][j + 1] = hsum_f32x4(c3) * mult;
    }
    for (; j < n_kv; j++) {
        const bn_fp16 *kj = k + (size_t)j * kv_row;
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < hd; d += 8) {
            v128_t lo, hi;
            dec8(kj + d, &lo, &hi);
            a0 = ATT_MADD(ATT_MADD(a0, lo, wasm_v128_load(qs[0] + d)), hi, wasm_v128_load(qs[0] + d + 4));
            a1 = ATT_MADD(ATT_MADD(a1, lo, wasm_v128_load(qs[1] + d)), hi, wasm_v128_load(qs[1] + d + 4));
            a2 = ATT_MADD(ATT_MADD(a2, lo, wasm_v128_load(qs[2] + d)), hi, wasm_v128_load(qs[2] + d + 4));
            a3 = ATT_MADD(ATT_MADD(a3, lo, wasm_v128_load(qs[3] + d)), hi, wasm_v128_load(qs[3] + d + 4));
        }
        s[0][j] = hsum_f32x4(a0) * mult;
        s[1][j] = hsum_f32x4(a1) * mult;
        s[2][j] = hsum_f32x4(a2) * mult;
        s[3][j] = hsum_f32x4(a3) * mult;
    }
}
#undef SC_HEAD

// out[i][d] = sum_j pf[i][j] * v_j[d] with pf = p * 2^112 and v decoded * 2^-112 (exact products). Keys in
// tiles of ATT_TILE: a tile's V rows (ATT_TILE x hd halves, 16 KB for hd 128) stay in L1 while the d loop
// walks them, the 8 accumulators of each 8 columns carried in `out` from tile to tile (stored and reloaded
// exactly, j still ascending per lane). Untiled, every 8 columns re-walked all n_kv rows from L2 or beyond:
// tiles took 6-20% less time at 1,024-4,096 keys (A/B of the two builds, same machine, same hour).
enum { ATT_TILE = 64 };
static void output_block(float *const out[HB], const float *const pf[HB], const bn_fp16 *v, size_t kv_row, int n_kv, int hd) {
    for (int j0 = 0; j0 < n_kv; j0 += ATT_TILE) {
        const int j1 = j0 + ATT_TILE < n_kv ? j0 + ATT_TILE : n_kv;
        for (int d = 0; d < hd; d += 8) {
            v128_t a0, b0, a1, b1, a2, b2, a3, b3;
            if (j0 == 0) {
                a0 = b0 = a1 = b1 = a2 = b2 = a3 = b3 = wasm_f32x4_splat(0.0f);
            } else {
                a0 = wasm_v128_load(out[0] + d), b0 = wasm_v128_load(out[0] + d + 4);
                a1 = wasm_v128_load(out[1] + d), b1 = wasm_v128_load(out[1] + d + 4);
                a2 = wasm_v128_load(out[2] + d), b2 = wasm_v128_load(out[2] + d + 4);
                a3 = wasm_v128_load(out[3] + d), b3 = wasm_v128_load(out[3] + d + 4);
            }
            for (int j = j0; j < j1; j++) {
                v128_t lo, hi;
                dec8(v + (size_t)j * kv_row + d, &lo, &hi);
                v128_t p = wasm_v128_load32_splat(pf[0] + j);
                a0 = ATT_MADD(a0, p, lo);
                b0 = ATT_MADD(b0, p, hi);
                p = wasm_v128_load32_splat(pf[1] + j);
                a1 = ATT_MADD(a1, p, lo);
                b1 = ATT_MADD(b1, p, hi);
                p = wasm_v128_load32_splat(pf[2] + j);
                a2 = ATT_MADD(a2, p, lo);
                b2 = ATT_MADD(b2, p, hi);
                p = wasm_v128_load32_splat(pf[3] + j);
                a3 = ATT_MADD(a3, p, lo);
                b3 = ATT_MADD(b3, p, hi);
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
}

static void attend_blocks(const bn_kernel_set *fallback, float *out, const float *q, int nh, const bn_fp16 *k, const bn_fp16 *v, size_t kv_row,
                          int n_kv, int hd, float scale, void *scratch) {
    if (hd % 8 || nh > BN_ATT_GROUP_MAX) {  // shapes the blocks do not cover: the per-head path
        bn_attend_generic_set(fallback, out, q, nh, k, v, kv_row, n_kv, hd, scale, scratch);
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

#endif  // BN_WASM_ATTENTION_H
