/**
 * The GGUF writer: v3 (or v2) little-endian files with metadata of every value type, tensors of any type in the
 * table, and zero padding to the alignment. `buildGgufHeader` produces only the header for streaming writers.
 */
import { GgufError } from './errors';
import { DEFAULT_ALIGNMENT } from './limits';
import type { GgufValue } from './parse';
import { ggmlTypeInfo, GgufValueType, tensorByteLength, type GgmlTypeFamily } from './types';

/** One metadata record to write. `arrayType` is required when `type` is ARRAY. */
export interface GgufWriteKV {
  key: string;
  type: GgufValueType;
  value: GgufValue;
  arrayType?: GgufValueType;
}

/** One tensor to write: its bytes, or (for buildGgufHeader) only their length. */
export interface GgufWriteTensor {
  name: string;
  /** ne0 (fastest) first. */
  shape: number[];
  type: number;
  data?: Uint8Array;
  byteLength?: number;
}

/** What to write. */
export interface GgufWriteSpec {
  metadata: GgufWriteKV[];
  tensors: GgufWriteTensor[];
  /** Data alignment; when not 32 and `general.alignment` is absent, that key is appended. @default general.alignment or 32 */
  alignment?: number;
  /** @default 3 */
  version?: 2 | 3;
  /** Type-table family used to check tensor byte sizes. @default 'bitnet' */
  family?: GgmlTypeFamily;
}

const utf8 = new TextEncoder();
const alignUp = (x: number, a: number) => x + ((a - (x % a)) % a);

class ByteWriter {
  buf = new Uint8Array(4096);
  dv = new DataView(this.buf.buffer);
  pos = 0;
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number) {
    this.reserve(1);
    this.dv.setUint8(this.pos, v);
    this.pos += 1;
  }
  u32(v: number) {
    this.reserve(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  u64(v: bigint | number) {
    this.reserve(8);
    this.dv.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }
  str(s: string) {
    const bytes = utf8.encode(s);
    this.u64(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

const INT_RANGE: Partial<Record<GgufValueType, [number, number]>> = {
  [GgufValueType.UINT8]: [0, 0xff],
  [GgufValueType.INT8]: [-0x80, 0x7f],
  [GgufValueType.UINT16]: [0, 0xffff],
  [GgufValueType.INT16]: [-0x8000, 0x7fff],
  [GgufValueType.UINT32]: [0, 0xffffffff],
  [GgufValueType.INT32]: [-0x80000000, 0x7fffffff],
};

function bad(what: string, why: string): GgufError {
  return new GgufError('bad_value', `gguf write: ${what}: ${why}`);
}

function writeValue(w: ByteWriter, type: GgufValueType, v: GgufValue, what: string, arrayType?: GgufValueType): void {
  const range = INT_RANGE[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) throw bad(what, `${String(v)} is not a valid ${GgufValueType[type]}`);
    w.reserve(8);
    const p = w.pos;
    switch (type) {
      case GgufValueType.UINT8:
        w.dv.setUint8(p, v);
        w.pos += 1;
        break;
      case GgufValueType.INT8:
        w.dv.setInt8(p, v);
        w.pos += 1;
        break;
      case GgufValueType.UINT16:
        w.dv.setUint16(p, v, true);
        w.pos += 2;
        break;
      case GgufValueType.INT16:
        w.dv.setInt16(p, v, true);
        w.pos += 2;
        break;
      case GgufValueType.UINT32:
        w.dv.setUint32(p, v, true);
        w.pos += 4;
        break;
      default:
        w.dv.setInt32(p, v, true);
        w.pos += 4;
    }
    return;
  }
  switch (type) {
    case GgufValueType.FLOAT32:
    case GgufValueType.FLOAT64: {
      if (typeof v !== 'number') throw bad(what, 'float value must be a number');
      const n = type === GgufValueType.FLOAT32 ? 4 : 8;
      w.reserve(8);
      if (n === 4) w.dv.setFloat32(w.pos, v, true);
      else w.dv.setFloat64(w.pos, v, true);
      w.pos += n;
      return;
    }
    case GgufValueType.BOOL:
      if (typeof v !== 'boolean') throw bad(what, 'bool value must be a boolean');
      w.u8(v ? 1 : 0);
      return;
    case GgufValueType.STRING:
      if (typeof v !== 'string') throw bad(what, 'string value must be a string');
      w.str(v);
      return;
    case GgufValueType.UINT64:
    case GgufValueType.INT64: {
      let b: bigint;
      if (typeof v === 'bigint') b = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
      else throw bad(what, `${String(v)} is not an integer`);
      const [lo, hi] = type === GgufValueType.UINT64 ? [0n, (1n << 64n) - 1n] : [-(1n << 63n), (1n << 63n) - 1n];
      if (b < lo || b > hi) throw bad(what, `${b} is out of range for ${GgufValueType[type]}`);
      w.u64(BigInt.asUintN(64, b));
      return;
    }
    case GgufValueType.ARRAY: {
      if (!Array.isArray(v)) throw bad(what, 'array value must be an array');
      if (arrayType === undefined) throw bad(what, 'arrayType is required for an ARRAY');
      if (arrayType === GgufValueType.ARRAY) throw new GgufError('bad_type', `gguf write: ${what}: arrays of arrays are not supported`);
      if (GgufValueType[arrayType] === undefined) throw new GgufError('bad_type', `gguf write: ${what}: unknown array element type ${arrayType}`);
      w.u32(arrayType);
      w.u64(v.length);
      for (let i = 0; i < v.length; i++) writeValue(w, arrayType, v[i]!, what);
      return;
    }
    default:
      throw new GgufError('bad_type', `gguf write: ${what}: unknown value type ${type as number}`);
  }
}

/**
 * Builds the header (magic … tensor infos … padding) and the layout of the data section: tensor i goes at absolute
 * offset `dataOffset + offsets[i]`, each tensor zero-padded to `alignment`; `totalBytes` is the full file size.
 */
export function buildGgufHeader(spec: GgufWriteSpec): { header: Uint8Array; dataOffset: number; offsets: number[]; totalBytes: number } {
  const version = spec.version ?? 3;
  if (version !== 2 && version !== 3) throw bad('version', `${String(version)} is not 2 or 3`);
  const family = spec.family ?? 'bitnet';
  const metadata = [...spec.metadata];
  const keys = new Set<string>();
  for (const kv of metadata) {
    if (!kv.key) throw bad('metadata', 'empty key');
    if (keys.has(kv.key)) throw new GgufError('duplicate', `gguf write: duplicate metadata key "${kv.key}"`);
    keys.add(kv.key);
  }
  const alignKv = metadata.find((kv) => kv.key === 'general.alignment');
  let alignment = spec.alignment ?? (typeof alignKv?.value === 'number' ? alignKv.value : DEFAULT_ALIGNMENT);
  if (alignKv && (alignKv.type !== GgufValueType.UINT32 || alignKv.value !== alignment)) {
    throw new GgufError('bad_alignment', 'gguf write: general.alignment must be a UINT32 equal to the alignment option');
  }
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment > 0x80000000 || (alignment & (alignment - 1)) !== 0) {
    throw new GgufError('bad_alignment', `gguf write: alignment ${alignment} is not a power of two`);
  }
  if (!alignKv && alignment !== DEFAULT_ALIGNMENT) metadata.push({ key: 'general.alignment', type: GgufValueType.UINT32, value: alignment });

  const w = new ByteWriter();
  w.u32(0x46554747);
  w.u32(version);
  w.u64(spec.tensors.length);
  w.u64(metadata.length);
  for (const kv of metadata) {
    w.str(kv.key);
    w.u32(kv.type);
    writeValue(w, kv.type, kv.value, `metadata "${kv.key}"`, kv.arrayType);
  }
  const offsets: number[] = [];
  const names = new Set<string>();
  let off = 0;
  for (const t of spec.tensors) {
    if (names.has(t.name)) throw new GgufError('duplicate', `gguf write: duplicate tensor name "${t.name}"`);
    names.add(t.name);
    if (t.shape.length > 4) throw new GgufError('limit_exceeded', `gguf write: tensor "${t.name}" has more than 4 dimensions`);
    const len = t.data?.length ?? t.byteLength;
    if (len === undefined) throw bad(`tensor "${t.name}"`, 'needs data or byteLength');
    if (ggmlTypeInfo(t.type, family)) {
      const want = tensorByteLength(t.type, t.shape, family);
      if (want !== len) throw bad(`tensor "${t.name}"`, `has ${len} bytes, its type and shape need ${want}`);
    }
    if (t.byteLength !== undefined && t.data && t.byteLength !== t.data.length) throw bad(`tensor "${t.name}"`, 'byteLength differs from data.length');
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of t.shape) w.u64(d);
    w.u32(t.type);
    w.u64(off);
    offsets.push(off);
    off = alignUp(off + len, alignment);
  }
  const dataOffset = alignUp(w.pos, alignment);
  const header = new Uint8Array(dataOffset);
  header.set(w.bytes());
  return { header, dataOffset, offsets, totalBytes: dataOffset + off };
}

/** Writes a complete GGUF file in memory (every tensor needs `data`). */
export function writeGguf(spec: GgufWriteSpec): Uint8Array {
  const { header, dataOffset, offsets, totalBytes } = buildGgufHeader(spec);
  const out = new Uint8Array(totalBytes);
  out.set(header);
  spec.tensors.forEach((t, i) => {
    if (!t.data) throw bad(`tensor "${t.name}"`, 'writeGguf needs data for every tensor');
    out.set(t.data, dataOffset + offsets[i]!);
  });
  return out;
}
