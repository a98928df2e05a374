// Host tests of the compute layer (portable + scalar paths; the SIMD paths are tested through the
// built wasm by libs/kernels' jest suite calling bn_selftest). Error budgets are named per check.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bitnet-kernels.h"
#include "test-util.h"
#include "../src/kernels-internal.h"

int bn_selftest(uint32_t seed, int verbose);
void bn_test_encode_i2s(uint8_t *dst, const int8_t *t, int rows, int cols, float scale);

static void test_fp16(void) {
    // every non-NaN half survives half -> float -> half; values match the definition
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        const int exp = (h >> 10) & 31, man = h & 1023;
        const float f = bn_fp16_to_fp32((bn_fp16)h);
        double want = exp == 0 ? man * pow(2, -24) : exp == 31 ? (man ? NAN : INFINITY) : (1 + man / 1024.0) * pow(2, exp - 15);
        if (h & 0x8000) want = -want;
        if (exp == 31 && man) { bad += !(f != f); continue; }
        bad += (double)f != want;
        bad += bn_fp32_to_fp16(f) != h;
    }
    TEST_CHECK(bad == 0, "fp16 round trip: %d mismatches", bad);
    // rounding: nearest, ties to even, checked against the two neighbouring halves
    uint64_t s = 42;
    bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = (uint32_t)test_rng_next(&s);
        u = (u & 0x80000000u) | (0x30000000u + u % 0x17800000u);  // ~2^-31 .. 2^16
        float f;
        memcpy(&f, &u, 4);
        const bn_fp16 h = bn_fp32_to_fp16(f);
        if ((h & 0x7c00) == 0x7c00) { bad += fabsf(f) < 65520.0f; continue; }
        const double v = bn_fp16_to_fp32(h), up = bn_fp16_to_fp32((bn_fp16)(h + 1)), dn = (h & 0x7fff) ? bn_fp16_to_fp32((bn_fp16)(h - 1)) : -v;
        const double e = fabs((double)f - v);
        if (e > fabs((double)f - up) || e > fabs((double)f - dn)) bad++;
        else if ((e == fabs((double)f - up) || e == fabs((double)f - dn)) && e > 0 && (h & 1)) bad++;  // tie -> even
    }
    TEST_CHECK(bad == 0, "fp32->fp16 rounding: %d mismatches", bad);
    TEST_CHECK(bn_fp32_to_fp16(65520.0f) == 0x7c00 && bn_fp32_to_fp16(65519.0f) == 0x7bff, "fp16 overflow edge");
    TEST_CHECK(bn_fp32_to_fp16(0x1p-25f) == 0 && bn_fp32_to_fp16(0x1.8p-25f) == 1 && bn_fp32_to_fp16(0x1.8p-24f) == 2, "fp16 subnormal ties");
}

static void test_selftest(void) {
    for (uint32_t seed = 1; seed <= 3; seed++) {
        const int f = bn_selftest(seed, 1);
        TEST_CHECK(f == 0, "bn_selftest(%u): %d kernel/ref mismatches", seed, f);
    }
}

// the I2_S reference itself against plain float math: |y - beta*sum(t*x)| within the int8 budget
static void test_i2s_ref_vs_float(void) {
    enum { R = 16, C = 256 };
    static int8_t t[R * C];
    static uint8_t g[R * C / 4 + 32];
    static float x[C], y[R];
    uint64_t s = 7;
    for (int i = 0; i < R * C; i++) t[i] = (int8_t)(test_rng_next(&s) % 3) - 1;
    float amax = 0;
    for (int i = 0; i < C; i++) { x[i] = test_rng_uniform(&s) * 2 - 1; amax = fmaxf(amax, fabsf(x[i])); }
    bn_test_encode_i2s(g, t, R, C, 1.5f);
    bn_matmul_i2s_ref(y, g, R, C, x, 1);
    int bad = 0;
    for (int r = 0; r < R; r++) {
        double want = 0;
        for (int k = 0; k < C; k++) want += t[r * C + k] * (double)x[k];
        want *= 1.5;
        const double budget = 1.5 * C * (amax / 127.0) * 0.5 + 1e-4;  // half a quantization step per term
        bad += fabs(y[r] - want) > budget;
    }
    TEST_CHECK(bad == 0, "i2s ref vs float: %d rows outside the budget", bad);
}

static void test_status_codes(void) {
    static uint8_t g[4 * 128 / 4 + 32], packed[4 * 128 / 4];
    static int8_t t[4 * 128];
    bn_weight w;
    bn_test_encode_i2s(g, t, 4, 128, 1.0f);
    TEST_CHECK(bn_weight_pack_i2s(&w, packed, g, 4, 128) == BN_OK, "pack ok");
    TEST_CHECK(bn_weight_pack_i2s(&w, packed, g, 4, 96) == BN_ERR_SHAPE, "cols %% 128");
    TEST_CHECK(bn_weight_pack_i2s(0, packed, g, 4, 128) == BN_ERR_ARG, "null");
    g[5] |= 0xC0;  // a code 3
    TEST_CHECK(bn_weight_pack_i2s(&w, packed, g, 4, 128) == BN_ERR_DATA, "code 3 rejected");
    g[5] &= 0x3F;
    const float nanv = NAN;
    memcpy(g + 4 * 128 / 4, &nanv, 4);
    TEST_CHECK(bn_weight_pack_i2s(&w, packed, g, 4, 128) == BN_ERR_DATA, "NaN scale rejected");
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_TQ2_0, 2, 128) == 0, "tq needs 256");
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_Q4_K, 2, 256) == 0, "q4_K not a matmul type");
    TEST_CHECK(bn_act_bytes(BN_TYPE_I2_S, 1, 100) == 0, "act shape");
    float x[256] = {0}, y[4];
    TEST_CHECK(bn_act_quantize(packed, BN_TYPE_I2_S, x, 1, 100) == BN_ERR_SHAPE, "act quantize shape");
    TEST_CHECK(bn_act_quantize(packed, 99, x, 1, 128) == BN_ERR_TYPE, "act quantize type");
    bn_weight bad = {BN_TYPE_Q4_K, 4, 256, 1.0f, packed};
    TEST_CHECK(bn_matmul(y, &bad, packed, 1) == BN_ERR_TYPE, "matmul type");
    bn_weight badshape = {BN_TYPE_I2_S, 4, 96, 1.0f, packed};
    TEST_CHECK(bn_matmul(y, &badshape, packed, 1) == BN_ERR_SHAPE, "matmul shape");
    int32_t ids[2] = {0, 4};
    TEST_CHECK(bn_get_rows(x, packed, BN_TYPE_F32, 4, 8, ids, 2) == BN_ERR_RANGE, "get_rows range");
    TEST_CHECK(bn_attention(y, x, (bn_fp16 *)packed, (bn_fp16 *)packed, 1, 0, 3, 2, 8, packed) == BN_ERR_SHAPE, "gqa shape");
    TEST_CHECK(bn_threads_init(0) == BN_ERR_THREADS && bn_threads_init(BN_MAX_THREADS + 1) == BN_ERR_THREADS, "thread range");
    TEST_CHECK(bn_rope_neox(x, 1, 0, 1, 8, 7, 10000.0f) == BN_ERR_SHAPE, "rope odd n_rot");
}

// Q4_K / Q6_K / Q4_0 blocks written from the spec's field description, decoded by the library
static void test_k_quants(void) {
    uint64_t s = 99;
    block_q6_K b6;
    int q6[256], sc6[16];
    memset(&b6, 0, sizeof b6);
    for (int i = 0; i < 16; i++) { sc6[i] = (int)(test_rng_next(&s) % 255) - 127; b6.scales[i] = (int8_t)sc6[i]; }
    b6.d = bn_fp32_to_fp16(0.125f);
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++)
            for (int part = 0; part < 4; part++) {  // value index 128h + 32part + l
                const int v = (int)(test_rng_next(&s) % 64);
                q6[128 * h + 32 * part + l] = v - 32;
                const int lo = v & 15, hi = v >> 4;
                const int qlb = 64 * h + l + (part & 1) * 32;
                b6.ql[qlb] |= (uint8_t)(part < 2 ? lo : lo << 4);
                b6.qh[32 * h + l] |= (uint8_t)(hi << (2 * part));
            }
    float out[256];
    TEST_CHECK(bn_dequantize_rows(out, &b6, BN_TYPE_Q6_K, 1, 256) == BN_OK, "q6_K status");
    int bad = 0;
    for (int i = 0; i < 256; i++) {
        const int h = i / 128, l = i % 32, part = (i % 128) / 32;
        bad += out[i] != 0.125f * sc6[8 * h + l / 16 + 2 * part] * q6[i];
    }
    TEST_CHECK(bad == 0, "q6_K decode: %d values differ", bad);

    block_q4_K b4;
    int sc[8], mn[8], q4[256];
    memset(&b4, 0, sizeof b4);
    for (int j = 0; j < 8; j++) { sc[j] = (int)(test_rng_next(&s) % 64); mn[j] = (int)(test_rng_next(&s) % 64); }
    for (int j = 0; j < 4; j++) {
        b4.scales[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        b4.scales[j + 4] = (uint8_t)((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
        b4.scales[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
    }
    b4.d = bn_fp32_to_fp16(0.5f);
    b4.dmin = bn_fp32_to_fp16(0.25f);
    for (int i = 0; i < 256; i++) {
        q4[i] = (int)(test_rng_next(&s) % 16);
        const int c = i / 64, hi = (i % 64) / 32, l = i % 32;
        b4.qs[32 * c + l] |= (uint8_t)(hi ? q4[i] << 4 : q4[i]);
    }
    TEST_CHECK(bn_dequantize_rows(out, &b4, BN_TYPE_Q4_K, 1, 256) == BN_OK, "q4_K status");
    bad = 0;
    for (int i = 0; i < 256; i++) {
        const int j = i / 32;
        bad += out[i] != 0.5f * sc[j] * q4[i] - 0.25f * mn[j];
    }
    TEST_CHECK(bad == 0, "q4_K decode: %d values differ", bad);

    // get_rows through F16 / Q8_0 / F32 tables picks the right rows
    static bn_fp16 tab[5 * 64];
    for (int i = 0; i < 5 * 64; i++) tab[i] = bn_fp32_to_fp16((float)(i % 64) + 100.0f * (i / 64));
    int32_t ids[3] = {4, 0, 2};
    float rows[3 * 64];
    TEST_CHECK(bn_get_rows(rows, tab, BN_TYPE_F16, 5, 64, ids, 3) == BN_OK && rows[0] == 400.0f && rows[64 + 5] == 5.0f && rows[128 + 63] == 263.0f,
               "get_rows f16");
}

static void test_float_ops(void) {
    enum { N = 96 };
    float x[2 * N], w[N], y[2 * N];
    uint64_t s = 5;
    for (int i = 0; i < 2 * N; i++) x[i] = test_rng_uniform(&s) * 4 - 2;
    for (int i = 0; i < N; i++) w[i] = 1 + 0.1f * test_rng_uniform(&s);
    TEST_CHECK(bn_rmsnorm(y, x, w, 2, N, 1e-5f) == BN_OK, "rmsnorm status");
    double err = 0;
    for (int r = 0; r < 2; r++) {
        double ss = 0;
        for (int i = 0; i < N; i++) ss += (double)x[r * N + i] * x[r * N + i];
        const double sc = 1 / sqrt(ss / N + 1e-5);
        for (int i = 0; i < N; i++) err = fmax(err, fabs(y[r * N + i] - x[r * N + i] * sc * w[i]));
    }
    TEST_CHECK(err < 1e-5, "rmsnorm vs double: %g (budget 1e-5)", err);

    // NEOX RoPE vs the double formula (budget 1e-3 absolute: float theta accumulation at pos ~300)
    enum { H = 2, D = 16, R = 12 };
    float q[3 * H * D], q0[3 * H * D];
    for (int i = 0; i < 3 * H * D; i++) q0[i] = q[i] = test_rng_uniform(&s) * 2 - 1;
    TEST_CHECK(bn_rope_neox(q, 3, 300, H, D, R, 10000.0f) == BN_OK, "rope status");
    err = 0;
    for (int t = 0; t < 3; t++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < D; i++) {
                const float *v = q0 + (t * H + h) * D;
                double want = v[i];
                if (i < R) {
                    const int p = i < R / 2 ? i : i - R / 2;
                    const double th = (300 + t) * pow(10000.0, -2.0 * p / R);
                    want = i < R / 2 ? v[i] * cos(th) - v[i + R / 2] * sin(th) : v[i - R / 2] * sin(th) + v[i] * cos(th);
                }
                err = fmax(err, fabs(q[(t * H + h) * D + i] - want));
            }
    TEST_CHECK(err < 1e-3, "rope vs double: %g (budget 1e-3)", err);

    float g[4] = {-1, 0.5f, 2, -3}, u[4] = {2, 2, 0.5f, 1}, o[4];
    bn_relu2_mul(o, g, u, 4);
    TEST_CHECK(o[0] == 0 && o[1] == 0.5f && o[2] == 2.0f && o[3] == 0, "relu2_mul");
    bn_silu_mul(o, g, u, 4);
    TEST_CHECK(fabsf(o[2] - 2.0f / (1 + expf(-2.0f)) * 0.5f) < 1e-7f && fabsf(o[0] - (-1.0f / (1 + expf(1.0f))) * 2) < 1e-7f, "silu_mul");
    bn_fp16 kv[2 * 3];
    float kvx[6] = {1, 2, 3, 4, 5, 6};
    bn_kv_store(kv, kvx + 3, 1, 1, 3);
    TEST_CHECK(bn_fp16_to_fp32(kv[3]) == 4 && bn_fp16_to_fp32(kv[5]) == 6, "kv_store");
}

// thread counts 1..4 give identical results (matmul split by rows, attention by heads)
static void test_threads(void) {
    enum { R = 300, C = 512, T = 3 };
    static int8_t t[R * C];
    static uint8_t g[R * C / 4 + 32], packed[R * C / 4];
    static float x[T * C], y[4][T * R];
    uint64_t s = 11;
    for (int i = 0; i < R * C; i++) t[i] = (int8_t)(test_rng_next(&s) % 3) - 1;
    for (int i = 0; i < T * C; i++) x[i] = test_rng_uniform(&s) - 0.5f;
    bn_test_encode_i2s(g, t, R, C, 0.7f);
    bn_weight w;
    bn_weight_pack_i2s(&w, packed, g, R, C);
    void *act = malloc(bn_act_bytes(BN_TYPE_I2_S, T, C));
    bn_act_quantize(act, BN_TYPE_I2_S, x, T, C);
    enum { NH = 8, HD = 64, P = 40 };
    static bn_fp16 kc[P * 2 * HD], vc[P * 2 * HD];
    static float q[2 * NH * HD], att[4][2 * NH * HD];
    for (int i = 0; i < P * 2 * HD; i++) { kc[i] = bn_fp32_to_fp16(test_rng_uniform(&s)); vc[i] = bn_fp32_to_fp16(test_rng_uniform(&s)); }
    for (int i = 0; i < 2 * NH * HD; i++) q[i] = test_rng_uniform(&s) * 3;
    void *scratch = malloc(bn_attention_scratch_bytes(P) * 4);
    for (int n = 1; n <= 4; n++) {
        TEST_CHECK(bn_threads_init(n) == BN_OK && bn_threads_count() == n, "threads_init(%d)", n);
        TEST_CHECK(bn_matmul(y[n - 1], &w, act, T) == BN_OK, "matmul with %d threads", n);
        TEST_CHECK(bn_attention(att[n - 1], q, kc, vc, 2, P - 2, NH, 2, HD, scratch) == BN_OK, "attention with %d threads", n);
        TEST_CHECK(memcmp(y[n - 1], y[0], sizeof y[0]) == 0, "matmul %d threads == 1 thread", n);
        TEST_CHECK(memcmp(att[n - 1], att[0], sizeof att[0]) == 0, "attention %d threads == 1 thread", n);
    }
    TEST_CHECK(bn_threads_init(1) == BN_OK, "back to 1 thread");
    free(act);
    free(scratch);
}

int main(void) {
    test_fp16();
    test_selftest();
    test_i2s_ref_vs_float();
    test_status_codes();
    test_k_quants();
    test_float_ops();
    test_threads();
    return test_report();
}
