/**
 * Node 20's V8 has relaxed SIMD behind `--experimental-wasm-relaxed-simd`; the kernels' -rx flavours
 * (about 2x faster ternary matmuls, bit-identical results) need it. The CLI turns the flag on for its
 * own process before any WebAssembly is compiled; set BITNET_NO_RELAXED_SIMD=1 to run the SIMD128
 * kernels instead. (Libraries never change V8 flags: library users pass the flag to node themselves.)
 * BITNET_V8_FLAGS passes further V8 flags the same way (diagnostics, e.g. `--no-liftoff`).
 */
import { setFlagsFromString } from 'node:v8';

if (!process.env.BITNET_NO_RELAXED_SIMD) setFlagsFromString('--experimental-wasm-relaxed-simd');
if (process.env.BITNET_V8_FLAGS) setFlagsFromString(process.env.BITNET_V8_FLAGS);
