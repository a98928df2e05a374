/**
 * Typed helpers over the kernel ABI: ggml type ids, and reading/writing a `bn_weight` struct in the
 * heap with the size and offsets the module itself reports (bn_abi_sizeof_weight / _offsetof_weight).
 */
import { KernelsError } from './errors';
import type { Kernels } from './loader';

/** ggml tensor type ids (GGUF numbering, bitnet.cpp fork for I2_S) the kernels know. */
export const BnType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
  Q4_K: 12,
  Q6_K: 14,
  Q8_K: 15,
  BF16: 30,
  TQ1_0: 34,
  TQ2_0: 35,
  I2_S: 36,
} as const;

/** BN_MAX_COLS (native/include/bitnet-common.h): the widest matrix (inner dimension) the kernels take. */
export const BN_MAX_COLS = 32768;

/** The fields of a packed weight (`bn_weight` in native/include/bitnet-kernels.h). */
export interface BnWeightFields {
  type: number;
  rows: number;
  cols: number;
  /** I2_S per-tensor scale; 1 for the other types. */
  scale: number;
  /** Heap pointer to the packed data. */
  data: number;
}

function layout(k: Kernels): { size: number; off: number[] } {
  const size = k.fn.bn_abi_sizeof_weight?.();
  const off = [0, 1, 2, 3, 4].map((f) => k.fn.bn_abi_offsetof_weight?.(f) ?? -1);
  if (!size || off.some((o) => o < 0 || o % 4 !== 0)) throw new KernelsError('abi_mismatch', 'kernels: module does not describe bn_weight (rebuild the wasm)');
  return { size, off };
}

/** Allocates a `bn_weight` struct in the heap (caller frees it with `k.free`), optionally filled. */
export function allocWeight(k: Kernels, fields?: BnWeightFields): number {
  const { size } = layout(k);
  const p = k.malloc(size);
  k.heapU8().fill(0, p, p + size);
  if (fields) writeWeight(k, p, fields);
  return p;
}

export function writeWeight(k: Kernels, ptr: number, f: BnWeightFields): void {
  const { off } = layout(k);
  const i32 = k.heapI32();
  i32[(ptr + off[0]!) >> 2] = f.type;
  i32[(ptr + off[1]!) >> 2] = f.rows;
  i32[(ptr + off[2]!) >> 2] = f.cols;
  k.heapF32()[(ptr + off[3]!) >> 2] = f.scale;
  new Uint32Array(k.heapU8().buffer)[(ptr + off[4]!) >>> 2] = f.data >>> 0;
}

export function readWeight(k: Kernels, ptr: number): BnWeightFields {
  const { off } = layout(k);
  const i32 = k.heapI32();
  return {
    type: i32[(ptr + off[0]!) >> 2]!,
    rows: i32[(ptr + off[1]!) >> 2]!,
    cols: i32[(ptr + off[2]!) >> 2]!,
    scale: k.heapF32()[(ptr + off[3]!) >> 2]!,
    data: new Uint32Array(k.heapU8().buffer)[(ptr + off[4]!) >>> 2]!,
  };
}
