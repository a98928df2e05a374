// kernels-abi.c — layout facts of the kernel structs the TS side reads or writes (so it never
// hand-copies a size or an offset), and the name of the active kernel set.
#include <stddef.h>
#include "kernels-internal.h"

BN_API int bn_abi_sizeof_weight(void) { return (int)sizeof(bn_weight); }
// field: 0 type, 1 rows, 2 cols, 3 scale, 4 data
BN_API int bn_abi_offsetof_weight(int field) {
    switch (field) {
    case 0: return (int)offsetof(bn_weight, type);
    case 1: return (int)offsetof(bn_weight, rows);
    case 2: return (int)offsetof(bn_weight, cols);
    case 3: return (int)offsetof(bn_weight, scale);
    case 4: return (int)offsetof(bn_weight, data);
    default: return -1;
    }
}
// 0 = generic (portable C), 1 = simd128
BN_API int bn_kernels_active_id(void) { return bn_kernels_active() == &bn_kernels_generic ? 0 : 1; }
