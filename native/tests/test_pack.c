// test_pack.c — the packed lane layout produced by bn_weight_pack_i2s, byte for byte: every 2-bit
// field of every u16 lane against the code the GGUF I2_S reference reader (bn_i2s_code_at) finds
// for that element (kernels-internal.h: lane i, bits 2k..2k+1 of chunk c = column 64c + 8k + i; rows
// interleaved in groups of 4: chunk c of row 4g + j at byte 4g * cols/4 + 64c + 16j; padding rows zero).
#include <stdlib.h>
#include <string.h>
#include "test-util.h"
#include "../src/kernels-internal.h"

static void check_shape(uint64_t *seed, int rows, int cols) {
    const size_t n = (size_t)rows * cols, nb = n / 4;
    const size_t packed = bn_weight_packed_bytes(BN_TYPE_I2_S, rows, cols);
    TEST_CHECK(packed == (size_t)((rows + 3) / 4 * 4) * cols / 4, "packed bytes %dx%d: %zu", rows, cols, packed);
    uint8_t *src = malloc(nb + 32), *dst = malloc(packed);
    memset(dst, 0xee, packed);  // padding must be overwritten with zeros
    for (size_t i = 0; i < nb; i++) {  // four random codes 0..2 per byte
        uint8_t b = 0;
        for (int f = 0; f < 4; f++) b |= (uint8_t)((test_rng_next(seed) >> 33) % 3) << (2 * f);
        src[i] = b;
    }
    const float scale = 0.625f;
    memcpy(src + nb, &scale, 4);
    bn_weight w;
    TEST_CHECK(bn_weight_pack_i2s(&w, dst, src, rows, cols) == BN_OK, "pack %dx%d", rows, cols);
    TEST_CHECK(w.scale == scale && w.rows == rows && w.cols == cols, "weight fields %dx%d", rows, cols);
    size_t bad = 0;
    for (int r = 0; r < rows; r++)
        for (int col = 0; col < cols; col++) {
            const int c = col / 64, k = (col % 64) / 8, i = col % 8;
            const uint8_t *lane = dst + (size_t)(r / 4) * cols + 64 * c + 16 * (r % 4) + 2 * i;
            const unsigned v = lane[0] | (unsigned)lane[1] << 8;
            if ((int)((v >> (2 * k)) & 3) != bn_i2s_code_at(src, (size_t)r * cols + col)) bad++;
        }
    TEST_CHECK(bad == 0, "%dx%d: %zu fields differ from bn_i2s_code_at", rows, cols, bad);
    size_t pad = 0;
    for (int r = rows; r < (rows + 3) / 4 * 4; r++)
        for (int c = 0; c < cols / 64; c++)
            for (int b = 0; b < 16; b++) pad += dst[(size_t)(r / 4) * cols + 64 * c + 16 * (r % 4) + b] != 0;
    TEST_CHECK(pad == 0, "%dx%d: %zu padding bytes not zero", rows, cols, pad);
    // a code 3 anywhere is rejected
    src[nb / 2] |= 0xc0;
    TEST_CHECK(bn_weight_pack_i2s(&w, dst, src, rows, cols) == BN_ERR_DATA, "code 3 rejected %dx%d", rows, cols);
    free(src);
    free(dst);
}

int main(void) {
    uint64_t seed = 0x1234567887654321ULL;
    check_shape(&seed, 1, 128);
    check_shape(&seed, 3, 256);
    check_shape(&seed, 7, 640);
    check_shape(&seed, 64, 2560);
    return test_report();
}
