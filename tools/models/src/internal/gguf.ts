// Temporary stand-in for the GGUF writer of @bitnet-wasm/gguf (same call shapes: writeGguf, buildGgufHeader,
// GgufValueType, GGML_TYPE) while that library is being written; synth.ts and node.ts import only from here, so
// switching to the library is a one-line change. Layout per spec §1: v3, little-endian, aligned tensor data.

/** GGUF metadata value types (spec §1.3). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** ggml type ids used here (spec §2.1; 36 is bitnet.cpp's I2_S). */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8, TQ1_0: 34, TQ2_0: 35, I2_S: 36 } as const;

interface MetadataEntry {
  key: string;
  type: number;
  value: unknown;
  arrayType?: number;
}

interface TensorHeaderEntry {
  name: string;
  shape: readonly number[];
  type: number;
  byteLength: number;
}

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  length = 0;
  private readonly enc = new TextEncoder();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.dv.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.ensure(8);
    this.dv.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  str(s: string): void {
    const b = this.enc.encode(s);
    this.u64(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  scalar(type: number, v: unknown): void {
    this.ensure(8);
    const dv = this.dv;
    const at = this.length;
    switch (type) {
      case GgufValueType.UINT8: dv.setUint8(at, Number(v)); this.length += 1; break;
      case GgufValueType.INT8: dv.setInt8(at, Number(v)); this.length += 1; break;
      case GgufValueType.UINT16: dv.setUint16(at, Number(v), true); this.length += 2; break;
      case GgufValueType.INT16: dv.setInt16(at, Number(v), true); this.length += 2; break;
      case GgufValueType.UINT32: dv.setUint32(at, Number(v), true); this.length += 4; break;
      case GgufValueType.INT32: dv.setInt32(at, Number(v), true); this.length += 4; break;
      case GgufValueType.FLOAT32: dv.setFloat32(at, Number(v), true); this.length += 4; break;
      case GgufValueType.BOOL: dv.setUint8(at, v ? 1 : 0); this.length += 1; break;
      case GgufValueType.UINT64: dv.setBigUint64(at, BigInt(v as number), true); this.length += 8; break;
      case GgufValueType.INT64: dv.setBigInt64(at, BigInt(v as number), true); this.length += 8; break;
      case GgufValueType.FLOAT64: dv.setFloat64(at, Number(v), true); this.length += 8; break;
      case GgufValueType.STRING: this.str(String(v)); break;
      default: throw new Error(`gguf writer: unsupported value type ${type}`);
    }
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const alignUp = (x: number, a: number): number => x + ((a - (x % a)) % a);

/** Header bytes (up to and including the padding before the data section) and tensor offsets. */
export function buildGgufHeader(args: {
  metadata: readonly MetadataEntry[];
  tensors: readonly TensorHeaderEntry[];
  alignment?: number;
}): { header: Uint8Array; dataOffset: number; offsets: number[]; totalBytes: number } {
  const alignment = args.alignment ?? 32;
  const w = new ByteWriter();
  w.u32(0x46554747);
  w.u32(3);
  w.u64(args.tensors.length);
  w.u64(args.metadata.length);
  for (const m of args.metadata) {
    w.str(m.key);
    w.u32(m.type);
    if (m.type === GgufValueType.ARRAY) {
      const arr = Array.from(m.value as ArrayLike<unknown>);
      w.u32(m.arrayType!);
      w.u64(arr.length);
      for (const v of arr) w.scalar(m.arrayType!, v);
    } else w.scalar(m.type, m.value);
  }
  const offsets: number[] = [];
  let off = 0;
  for (const t of args.tensors) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of t.shape) w.u64(d);
    w.u32(t.type);
    w.u64(off);
    offsets.push(off);
    off = alignUp(off + t.byteLength, alignment);
  }
  const dataOffset = alignUp(w.length, alignment);
  while (w.length < dataOffset) w.u8(0);
  const last = args.tensors.length - 1;
  const totalBytes = last < 0 ? dataOffset : dataOffset + offsets[last]! + args.tensors[last]!.byteLength;
  return { header: w.bytes(), dataOffset, offsets, totalBytes };
}

/** A whole GGUF file in memory. */
export function writeGguf(args: {
  metadata: readonly MetadataEntry[];
  tensors: ReadonlyArray<{ name: string; shape: readonly number[]; type: number; data: Uint8Array }>;
  alignment?: number;
}): Uint8Array {
  const { header, dataOffset, offsets, totalBytes } = buildGgufHeader({
    metadata: args.metadata,
    tensors: args.tensors.map((t) => ({ ...t, byteLength: t.data.length })),
    alignment: args.alignment,
  });
  const out = new Uint8Array(totalBytes);
  out.set(header);
  args.tensors.forEach((t, i) => out.set(t.data, dataOffset + offsets[i]!));
  return out;
}
