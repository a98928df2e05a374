/**
 * The GGUF value-type enum and the ggml tensor-type table (upstream llama.cpp and the bitnet.cpp fork),
 * plus exact tensor byte sizes, including the fork's I2_S / TL1 / TL2 special cases (spec §2.1, §2.4, §2.5).
 */
import { GgufError } from './errors';

/** GGUF metadata value types (ids as stored in the file). */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Which meaning of the colliding type ids 36–39 applies: the bitnet.cpp fork or upstream llama.cpp. */
export type GgmlTypeFamily = 'bitnet' | 'upstream';

/** Well-known ggml type ids (open set: files may contain others). */
export const GGML_TYPE = {
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
  TL1: 38,
  TL2: 39,
} as const;

/** Block geometry of a ggml type: `typeSize` bytes store `blockSize` consecutive elements along ne0. */
export interface GgmlTypeInfo {
  name: string;
  blockSize: number;
  typeSize: number;
}

const t = (name: string, blockSize: number, typeSize: number): GgmlTypeInfo => ({ name, blockSize, typeSize });

/** Ids whose meaning is the same upstream and in the fork (ids 0–35). */
const COMMON: Record<number, GgmlTypeInfo> = {
  0: t('F32', 1, 4),
  1: t('F16', 1, 2),
  2: t('Q4_0', 32, 18),
  3: t('Q4_1', 32, 20),
  6: t('Q5_0', 32, 22),
  7: t('Q5_1', 32, 24),
  8: t('Q8_0', 32, 34),
  9: t('Q8_1', 32, 36),
  10: t('Q2_K', 256, 84),
  11: t('Q3_K', 256, 110),
  12: t('Q4_K', 256, 144),
  13: t('Q5_K', 256, 176),
  14: t('Q6_K', 256, 210),
  15: t('Q8_K', 256, 292),
  16: t('IQ2_XXS', 256, 66),
  17: t('IQ2_XS', 256, 74),
  18: t('IQ3_XXS', 256, 98),
  19: t('IQ1_S', 256, 50),
  20: t('IQ4_NL', 32, 18),
  21: t('IQ3_S', 256, 110),
  22: t('IQ2_S', 256, 82),
  23: t('IQ4_XS', 256, 136),
  24: t('I8', 1, 1),
  25: t('I16', 1, 2),
  26: t('I32', 1, 4),
  27: t('I64', 1, 8),
  28: t('F64', 1, 8),
  29: t('IQ1_M', 256, 56),
  30: t('BF16', 1, 2),
  34: t('TQ1_0', 256, 54),
  35: t('TQ2_0', 256, 66),
};

/**
 * Fork-only ids. 31–33 are the interleaved Q4_0 variants the fork still defines (upstream removed them).
 * I2_S, I8_S, TL1 and TL2 have a nominal 1x1 geometry; their real byte size is special-cased in {@link tensorByteLength}.
 */
const BITNET: Record<number, GgmlTypeInfo> = {
  31: t('Q4_0_4_4', 32, 18),
  32: t('Q4_0_4_8', 32, 18),
  33: t('Q4_0_8_8', 32, 18),
  36: t('I2_S', 1, 1),
  37: t('I8_S', 1, 1),
  38: t('TL1', 1, 1),
  39: t('TL2', 1, 1),
};

/** Upstream-only ids (36–38 are reserved upstream and therefore unknown there). */
const UPSTREAM: Record<number, GgmlTypeInfo> = {
  39: t('MXFP4', 32, 17),
};

/**
 * Geometry of a ggml type id under the given family (default 'bitnet', the files this project runs),
 * or `undefined` for an id this table does not know.
 */
export function ggmlTypeInfo(type: number, family: GgmlTypeFamily = 'bitnet'): GgmlTypeInfo | undefined {
  return COMMON[type] ?? (family === 'bitnet' ? BITNET[type] : UPSTREAM[type]);
}

/** Display name of a type id: the table name, or `UNKNOWN(<id>)`. */
export function ggmlTypeName(type: number, family: GgmlTypeFamily = 'bitnet'): string {
  return ggmlTypeInfo(type, family)?.name ?? `UNKNOWN(${type})`;
}

/** Product of a shape with an overflow check against 2^53−1 (missing dims count as 1; empty shape = scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new GgufError('bad_value', `gguf: tensor dimension ${d} is not a non-negative safe integer`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new GgufError('limit_exceeded', `gguf: tensor element count of shape [${shape.join(', ')}] exceeds 2^53-1`);
  }
  return n;
}

/**
 * Exact bytes of a tensor's data. Standard types: `nElements / blockSize * typeSize` (ne0 must be a multiple of
 * blockSize). bitnet family: I2_S and TL1 = `nElements/4 + 32` (integer division, as ggml_nbytes does);
 * TL2 = `(ne0−256)·rows/3·5/8 + 256·rows/2·4/8` rounded up to 32, + 32 (rows = ne1·ne2·ne3), spec §2.5.
 * Throws GgufError('bad_type') for an unknown id and GgufError('bad_value') for a shape the type cannot hold.
 */
export function tensorByteLength(type: number, shape: number[], family: GgmlTypeFamily = 'bitnet'): number {
  const info = ggmlTypeInfo(type, family);
  if (!info) throw new GgufError('bad_type', `gguf: unknown ggml type id ${type} (${family} family)`);
  const n = elementCount(shape);
  if (family === 'bitnet' && (info.name === 'I2_S' || info.name === 'TL1')) return Math.floor(n / 4) + 32;
  if (family === 'bitnet' && info.name === 'TL2') {
    const ne0 = shape[0] ?? 1;
    const rows = ne0 === 0 ? 0 : n / ne0;
    if (ne0 < 256) throw new GgufError('bad_value', `gguf: TL2 tensor needs ne0 >= 256, got ${ne0}`);
    // Integer arithmetic left to right, as the fork's C does.
    const three = Math.floor(Math.floor(Math.floor(((ne0 - 256) * rows) / 3) * 5) / 8);
    const two = Math.floor(Math.floor(Math.floor((256 * rows) / 2) * 4) / 8);
    const bytes = Math.ceil((three + two) / 32) * 32 + 32;
    if (!Number.isSafeInteger(bytes)) throw new GgufError('limit_exceeded', 'gguf: TL2 byte size exceeds 2^53-1');
    return bytes;
  }
  const ne0 = shape[0] ?? 1;
  if (ne0 % info.blockSize !== 0) {
    throw new GgufError('bad_value', `gguf: ${info.name} tensor ne0=${ne0} is not a multiple of its block size ${info.blockSize}`);
  }
  const bytes = (n / info.blockSize) * info.typeSize;
  if (!Number.isSafeInteger(bytes)) throw new GgufError('limit_exceeded', `gguf: ${info.name} tensor byte size exceeds 2^53-1`);
  return bytes;
}

/** Byte width of a fixed-size metadata value type, 0 for STRING/ARRAY, undefined for an unknown id. */
export function valueTypeSize(t: number): number | undefined {
  switch (t) {
    case GgufValueType.UINT8:
    case GgufValueType.INT8:
    case GgufValueType.BOOL:
      return 1;
    case GgufValueType.UINT16:
    case GgufValueType.INT16:
      return 2;
    case GgufValueType.UINT32:
    case GgufValueType.INT32:
    case GgufValueType.FLOAT32:
      return 4;
    case GgufValueType.UINT64:
    case GgufValueType.INT64:
    case GgufValueType.FLOAT64:
      return 8;
    case GgufValueType.STRING:
    case GgufValueType.ARRAY:
      return 0;
    default:
      return undefined;
  }
}
