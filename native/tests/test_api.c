// Smoke test of the host build: the module description exports behave.
#include <stdio.h>
#include "bitnet-common.h"
#include "test-util.h"

int bn_abi_version(void);
int bn_add_i32(int a, int b);

int main(void) {
    TEST_CHECK(bn_abi_version() == BN_ABI_VERSION, "abi version");
    TEST_CHECK(bn_add_i32(2, 3) == 5, "add");
    return test_report();
}
