/**
 * A bounded, stand-alone look at a GGUF file's header for the page's "header" box (architecture,
 * name, parameter count, tensor types, size, fit verdict) while the engine is not wired in. It reads
 * only the first `maxBytes` of the Blob and never allocates by a number taken from the file.
 * To be replaced by `inspectModel` of @bitnet-wasm/runtime once that is available to the page.
 */
import type { HeaderSummary } from './protocol';
import { formatBytes } from './format';

/** wasm32 address space: a model whose weights alone exceed this can not load. */
const WASM32_BYTES = 4 * 1024 ** 3;

/** ggml type ids → names (ggml.h; 36 = I2_S of the BitNet fork). */
const TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K',
  13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0', 36: 'I2_S',
};

export class HeaderError extends Error {
  readonly code = 'bad_model';
  constructor(message: string) {
    super(message);
    this.name = 'HeaderError';
  }
}

class Reader {
  off = 0;
  constructor(
    private readonly dv: DataView,
    private readonly bytes: Uint8Array,
  ) {}
  need(n: number): void {
    if (this.off + n > this.dv.byteLength) throw new RangeErrorLike();
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.off, true);
    this.off += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.off, true);
    const hi = this.dv.getUint32(this.off + 4, true);
    this.off += 8;
    if (hi > 0x1fffff) throw new HeaderError('a 64-bit count in the header is too large');
    return hi * 2 ** 32 + lo;
  }
  str(): string {
    const n = this.u64();
    this.need(n);
    const s = new TextDecoder().decode(this.bytes.subarray(this.off, this.off + n));
    this.off += n;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.off += n;
  }
}

/** Thrown when the window ends before the structure does (not an error in the file). */
class RangeErrorLike extends Error {}

const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

function skipValue(r: Reader, type: number, depth = 0): string | undefined {
  if (type === 8) return r.str();
  const size = SCALAR_BYTES[type];
  if (size !== undefined) {
    r.skip(size);
    return undefined;
  }
  if (type === 9 && depth === 0) {
    const inner = r.u32();
    const n = r.u64();
    const innerSize = SCALAR_BYTES[inner];
    if (innerSize !== undefined) r.skip(n * innerSize);
    else if (inner === 8) for (let i = 0; i < n; i++) r.str();
    else throw new HeaderError(`unsupported array element type ${inner}`);
    return undefined;
  }
  throw new HeaderError(`unknown metadata value type ${type}`);
}

/** Reads what it can of the header from the first `maxBytes` of `blob`. */
export async function peekHeader(blob: Blob, maxBytes = 32 << 20): Promise<HeaderSummary> {
  const buf = new Uint8Array(await blob.slice(0, Math.min(blob.size, maxBytes)).arrayBuffer());
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 24 || dv.getUint32(0, true) !== 0x46554747) throw new HeaderError('not a GGUF file (no GGUF magic)');
  const r = new Reader(dv, buf);
  r.off = 4;
  const version = r.u32();
  if (version < 2 || version > 3) throw new HeaderError(`unsupported GGUF version ${version}`);
  const tensorCount = r.u64();
  const metadataCount = r.u64();
  const out: HeaderSummary = { version, tensorCount, metadataCount, fileBytes: blob.size };
  try {
    for (let i = 0; i < metadataCount; i++) {
      const key = r.str();
      const type = r.u32();
      const v = skipValue(r, type);
      if (key === 'general.architecture' && v !== undefined) out.architecture = v;
      if (key === 'general.name' && v !== undefined) out.name = v;
    }
    const types: Record<string, number> = {};
    let params = 0;
    for (let i = 0; i < tensorCount; i++) {
      r.str();
      const nd = r.u32();
      if (nd > 8) throw new HeaderError(`tensor with ${nd} dimensions`);
      let n = 1;
      for (let d = 0; d < nd; d++) n *= r.u64();
      const t = r.u32();
      r.skip(8);
      const name = TYPE_NAMES[t] ?? `type${t}`;
      types[name] = (types[name] ?? 0) + 1;
      params += n;
    }
    out.parameterCount = params;
    out.tensorTypes = types;
  } catch (e) {
    if (!(e instanceof RangeErrorLike)) throw e;
    // the header is longer than the window: report what was read
  }
  out.fit =
    blob.size < WASM32_BYTES * 0.9
      ? { ok: true, reason: `the file (${formatBytes(blob.size)}) fits in the 4 GiB wasm32 memory (estimate from the file size)` }
      : { ok: false, reason: 'the file is larger than what 4 GiB of wasm32 memory can hold with the KV cache' };
  return out;
}
