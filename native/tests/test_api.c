// Smoke test of the host build: the module description exports behave.
#include <stdio.h>
#include "bitnet-kernels.h"
#include "test-util.h"

int bn_abi_version(void);
int bn_add_i32(int a, int b);

int main(void) {
    TEST_CHECK(bn_abi_version() == BN_ABI_VERSION, "abi version");
    TEST_CHECK(bn_add_i32(2, 3) == 5, "add");
    // the widest matrix the kernels take: packed sizes stop at BN_MAX_COLS, and a wider weight is refused
    // by packing and by the matmul (stack scratch is sized for it) with BN_ERR_SHAPE
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_I2_S, 4, BN_MAX_COLS) == (size_t)BN_MAX_COLS, "I2_S at the widest");
    TEST_CHECK(bn_weight_packed_bytes(BN_TYPE_F16, 4, BN_MAX_COLS) == (size_t)BN_MAX_COLS * 8, "F16 at the widest");
    for (int type = 0; type <= BN_TYPE_I2_S; type++)
        TEST_CHECK(bn_weight_packed_bytes(type, 4, BN_MAX_COLS + 256) == 0, "type %d wider than BN_MAX_COLS", type);
    {
        static float y[4], x[BN_MAX_COLS + 256];
        static uint8_t data[(BN_MAX_COLS + 256) * 4 * 4];
        bn_weight w = {BN_TYPE_F32, 4, BN_MAX_COLS + 256, 1.0f, data};
        TEST_CHECK(bn_matmul(y, &w, x, 1) == BN_ERR_SHAPE, "matmul of a too wide F32 weight");
        TEST_CHECK(bn_weight_pack_rows(&w, 0, data, BN_TYPE_F32, 1) == BN_ERR_SHAPE, "pack of a too wide weight");
    }
    return test_report();
}
