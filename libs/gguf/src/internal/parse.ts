/**
 * The incremental GGUF header parser: pulls header bytes from a ByteSource in growing chunks, decodes
 * key/value records and tensor infos record by record, and validates everything against named limits.
 */
import { GgufError, throwIfAborted } from './errors';
import {
  DEFAULT_ALIGNMENT,
  DEFAULT_MAX_HEADER_BYTES,
  INITIAL_CHUNK_BYTES,
  MAX_ARRAY_ELEMENTS,
  MAX_DIMS,
  MAX_KEY_BYTES,
  MAX_KV_COUNT,
  MAX_SAFE_BYTES,
  MAX_STRING_BYTES,
  MAX_TENSOR_COUNT,
  MAX_TENSOR_NAME_BYTES,
  MIN_KV_RECORD_BYTES,
  MIN_TENSOR_INFO_BYTES,
} from './limits';
import { IN_MEMORY, toByteSource, type ByteSource } from './source';
import { elementCount, ggmlTypeInfo, ggmlTypeName, GgufValueType, tensorByteLength, valueTypeSize, type GgmlTypeFamily } from './types';

/** A metadata value: u64/i64 are bigint, arrays hold values of one element type. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** One tensor-info record, resolved. */
export interface GgufTensorInfo {
  name: string;
  /** ne0 (fastest-varying) first; a weight W[out][in] has shape [in, out]. */
  shape: number[];
  nElements: number;
  /** ggml type id as stored (an open number). */
  type: number;
  /** e.g. 'I2_S', 'F16', 'TL2', 'MXFP4', or 'UNKNOWN(77)'. */
  typeName: string;
  /** False when the id is not in the type table of the file's family: the data can then not be read. */
  typeKnown: boolean;
  /** Relative to the data section. */
  offset: number;
  /** From the start of the file. */
  absoluteOffset: number;
  /** Exact bytes of this tensor's data (I2_S: n/4 + 32). For an unknown type: the span up to the next tensor (or file end), else 0. */
  byteLength: number;
}

/** The parsed header of a GGUF file. */
export interface GgufFile {
  version: number;
  alignment: number;
  metadata: Record<string, GgufValue>;
  metadataTypes: Record<string, { type: GgufValueType; arrayType?: GgufValueType }>;
  tensors: GgufTensorInfo[];
  /** Absolute start of the data section. */
  tensorDataOffset: number;
  /** Bytes of the header actually consumed (≤ tensorDataOffset). */
  headerBytes: number;
  fileSize: number | undefined;
  /**
   * How type ids 36–39 were interpreted: 'bitnet' (the bitnet.cpp fork: 36 I2_S, 37 I8_S, 38 TL1, 39 TL2) or
   * 'upstream' (llama.cpp: 39 MXFP4, 36–38 unknown). Rule: 'bitnet' if any tensor has id 36 or 38; or
   * `general.architecture` is bitnet / bitnet-25 / bitnet-b1.58 and either `general.file_type` is 38/39/40 (the
   * fork's TL1/TL2/I2_S ftypes) or every id-39 tensor's byte span matches the fork's TL2 size (optionally followed by
   * its hidden scale block); otherwise 'upstream'.
   */
  typeFamily: GgmlTypeFamily;
  /** `general.architecture`, when it is a string. */
  architecture: string | undefined;
}

/** Options of {@link parseGguf}. */
export interface ParseGgufOptions {
  /** Cancels between chunks and requests; the error is GgufError('aborted'). */
  signal?: AbortSignal;
  /** Most header bytes to pull from the source. @default 64 MiB */
  maxHeaderBytes?: number;
}

/** Thrown inside a synchronous record decoder when the buffered header ends before `end`. */
class NeedMore {
  constructor(readonly end: number) {}
}

// ignoreBOM: a token that is exactly U+FEFF (SentencePiece vocabularies have one) must survive decoding.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

const alignUp = (x: number, a: number) => x + ((a - (x % a)) % a);

/** The growing header buffer plus a read cursor; all primitive reads are bounds-checked before touching DataView. */
class HeaderCursor {
  private buf: Uint8Array = new Uint8Array(0);
  private dv = new DataView(this.buf.buffer);
  loaded = 0;
  pos = 0;
  fileSize: number | undefined;
  private readonly inMemory: boolean;

  constructor(private readonly src: ByteSource, readonly maxHeader: number, private readonly signal: AbortSignal | undefined) {
    this.fileSize = src.size;
    this.inMemory = (src as unknown as Record<symbol, unknown>)[IN_MEMORY] === true;
  }

  /** Bytes that may still follow `pos` inside the header (bounded by the file size when known and by maxHeader). */
  private fail(end: number): never {
    if (this.fileSize !== undefined && end > this.fileSize) {
      throw new GgufError('truncated', `gguf: file is truncated: the header needs byte ${end} but the file has ${this.fileSize}`);
    }
    if (end > this.maxHeader) {
      throw new GgufError('limit_exceeded', `gguf: header is larger than maxHeaderBytes (${this.maxHeader}); needs at least ${end} bytes`);
    }
    throw new NeedMore(end);
  }

  need(n: number): void {
    const end = this.pos + n;
    if (end > this.loaded) this.fail(end);
  }

  /** Checks that `bytes` more bytes can exist at all (before allocating anything sized by an untrusted count). */
  checkRemaining(bytes: number, what: string): void {
    const end = this.pos + bytes;
    if (this.fileSize !== undefined && end > this.fileSize) {
      throw new GgufError('truncated', `gguf: ${what} needs at least ${bytes} bytes but only ${this.fileSize - this.pos} remain in the file`);
    }
    if (end > this.maxHeader) {
      throw new GgufError('limit_exceeded', `gguf: ${what} needs at least ${bytes} bytes, beyond maxHeaderBytes (${this.maxHeader})`);
    }
  }

  async grow(end: number): Promise<void> {
    throwIfAborted(this.signal);
    let target = this.inMemory ? Infinity : Math.max(end, this.loaded * 2, INITIAL_CHUNK_BYTES);
    target = Math.min(target, this.maxHeader);
    if (this.fileSize !== undefined) target = Math.min(target, this.fileSize);
    if (target < end) this.fail(end);
    try {
      this.append(await this.src.read(this.loaded, target - this.loaded, this.signal), target);
    } catch (e) {
      if (!(e instanceof GgufError)) throw new GgufError('io', `gguf: reading the source failed: ${(e as Error)?.message ?? e}`, { cause: e });
      if (e.code !== 'truncated' || this.fileSize !== undefined || target <= end) throw e;
      await this.findEnd(end, target);
    }
    throwIfAborted(this.signal);
    if (this.src.size !== undefined) this.fileSize = this.src.size;
  }

  /**
   * Unknown size and a read up to `failed` ran past the end: read exactly up to `end` (else the file is truncated),
   * then bisect (≈log2 requests) for the last readable byte below `failed`, which fixes the file size.
   */
  private async findEnd(end: number, failed: number): Promise<void> {
    this.append(await this.src.read(this.loaded, end - this.loaded, this.signal), end);
    let hi = failed;
    while (this.src.size === undefined && hi - this.loaded > 1) {
      throwIfAborted(this.signal);
      const mid = Math.floor((this.loaded + hi) / 2);
      try {
        this.append(await this.src.read(this.loaded, mid - this.loaded, this.signal), mid);
      } catch (e) {
        if (!(e instanceof GgufError) || e.code !== 'truncated') throw e;
        hi = mid;
      }
    }
    this.fileSize = this.src.size ?? this.loaded;
  }

  private append(chunk: Uint8Array, target: number): void {
    if (chunk.length !== target - this.loaded) {
      throw new GgufError('truncated', `gguf: source returned ${chunk.length} bytes, wanted ${target - this.loaded}`);
    }
    if (this.loaded === 0) this.buf = chunk;
    else {
      const next = new Uint8Array(target);
      next.set(this.buf.subarray(0, this.loaded));
      next.set(chunk, this.loaded);
      this.buf = next;
    }
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.loaded = target;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /**
   * A u64 as a JS number without BigInt: exact below 2^53; anything larger comes out > MAX_SAFE_INTEGER (possibly
   * rounded), which is all the limit checks need.
   */
  u64Num(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }
  /** A u64 that must fit a safe JS number (counts, dims, offsets). */
  u64Safe(what: string): number {
    const v = this.u64Num();
    if (v > MAX_SAFE_BYTES) throw new GgufError('limit_exceeded', `gguf: ${what} ${v} exceeds 2^53-1`);
    return v;
  }

  str(maxBytes: number, what: string): string {
    const len = this.u64Num();
    if (len > maxBytes) throw new GgufError('limit_exceeded', `gguf: ${what} length ${len} exceeds the limit of ${maxBytes} bytes`);
    this.checkRemaining(len, what);
    this.need(len);
    const start = this.pos;
    this.pos += len;
    return decodeUtf8(this.buf, start, len);
  }

  /** One value of a known scalar type at the cursor (the caller has checked the bytes for fixed-size types). */
  value(type: GgufValueType, what: string): GgufValue {
    const dv = this.dv;
    const p = this.pos;
    switch (type) {
      case GgufValueType.UINT8:
        this.need(1);
        this.pos += 1;
        return dv.getUint8(p);
      case GgufValueType.INT8:
        this.need(1);
        this.pos += 1;
        return dv.getInt8(p);
      case GgufValueType.UINT16:
        this.need(2);
        this.pos += 2;
        return dv.getUint16(p, true);
      case GgufValueType.INT16:
        this.need(2);
        this.pos += 2;
        return dv.getInt16(p, true);
      case GgufValueType.UINT32:
        this.need(4);
        this.pos += 4;
        return dv.getUint32(p, true);
      case GgufValueType.INT32:
        this.need(4);
        this.pos += 4;
        return dv.getInt32(p, true);
      case GgufValueType.FLOAT32:
        this.need(4);
        this.pos += 4;
        return dv.getFloat32(p, true);
      case GgufValueType.BOOL: {
        this.need(1);
        const b = dv.getUint8(p);
        if (b > 1) throw new GgufError('bad_value', `gguf: ${what}: bool byte is ${b}, must be 0 or 1`);
        this.pos += 1;
        return b === 1;
      }
      case GgufValueType.STRING:
        return this.str(MAX_STRING_BYTES, what);
      case GgufValueType.UINT64:
        this.need(8);
        this.pos += 8;
        return dv.getBigUint64(p, true);
      case GgufValueType.INT64:
        this.need(8);
        this.pos += 8;
        return dv.getBigInt64(p, true);
      case GgufValueType.FLOAT64:
        this.need(8);
        this.pos += 8;
        return dv.getFloat64(p, true);
      case GgufValueType.ARRAY:
        return this.array(what).value;
      default:
        throw new GgufError('bad_type', `gguf: ${what}: unknown value type ${type as number}`);
    }
  }

  array(what: string): { value: GgufValue[]; arrayType: GgufValueType } {
    const et = this.u32();
    if (et === GgufValueType.ARRAY) throw new GgufError('bad_type', `gguf: ${what}: arrays of arrays are not supported`);
    const size = valueTypeSize(et);
    if (size === undefined) throw new GgufError('bad_type', `gguf: ${what}: unknown array element type ${et}`);
    const count = this.u64Num();
    if (count > MAX_ARRAY_ELEMENTS) {
      throw new GgufError('limit_exceeded', `gguf: ${what}: array of ${count} elements exceeds the limit of ${MAX_ARRAY_ELEMENTS}`);
    }
    // Every element needs at least `size` bytes (strings: their u64 length); check before allocating.
    this.checkRemaining(count * (size || 8), `${what} (array of ${count})`);
    if (size > 0) this.need(count * size);
    const out: GgufValue[] = new Array<GgufValue>(count);
    const elemWhat = `${what}[]`;
    for (let i = 0; i < count; i++) out[i] = this.value(et, elemWhat);
    return { value: out, arrayType: et };
  }
}

/**
 * UTF-8 decode. Short strings (the bulk of a vocabulary) are decoded by hand, since TextDecoder's per-call cost
 * dominates for them; anything invalid or long goes to TextDecoder (invalid bytes become U+FFFD).
 */
function decodeUtf8(buf: Uint8Array, start: number, len: number): string {
  if (len <= 64) {
    const s = decodeShortUtf8(buf, start, start + len);
    if (s !== undefined) return s;
  }
  return utf8.decode(buf.subarray(start, start + len));
}

/** Scratch UTF-16 units for the hand decoder: ≤ 64 bytes decode to ≤ 64 units. */
const units = new Uint16Array(64);
/** Reused argument arrays, one per length 0..64, for the final String.fromCharCode.apply. */
const byLength: number[][] = Array.from({ length: 65 }, (_, n) => new Array<number>(n).fill(0));

/** Strict hand decoder; undefined on any invalid sequence (overlong, surrogate, out of range, cut short). */
function decodeShortUtf8(buf: Uint8Array, i: number, end: number): string | undefined {
  let n = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x80) {
      units[n++] = c;
      i += 1;
    } else if (c >= 0xc2 && c < 0xe0) {
      const c1 = i + 1 < end ? buf[i + 1]! : 0;
      if ((c1 & 0xc0) !== 0x80) return undefined;
      units[n++] = ((c & 0x1f) << 6) | (c1 & 0x3f);
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0) {
      const c1 = i + 1 < end ? buf[i + 1]! : 0;
      const c2 = i + 2 < end ? buf[i + 2]! : 0;
      if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) return undefined;
      const cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
      units[n++] = cp;
      i += 3;
    } else if (c >= 0xf0 && c < 0xf5) {
      const c1 = i + 1 < end ? buf[i + 1]! : 0;
      const c2 = i + 2 < end ? buf[i + 2]! : 0;
      const c3 = i + 3 < end ? buf[i + 3]! : 0;
      if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) return undefined;
      const cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return undefined;
      units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      i += 4;
    } else return undefined;
  }
  // fromCharCode.apply over a plain array of exactly n elements: ~2x faster in V8 than over a typed subarray
  const args = byLength[n]!;
  for (let k = 0; k < n; k++) args[k] = units[k]!;
  return String.fromCharCode.apply(null, args);
}

/** Runs a synchronous decoder over records [done, count), committing after each record and growing the buffer on NeedMore. */
async function decodeRecords(c: HeaderCursor, count: number, record: (i: number) => void, signal: AbortSignal | undefined): Promise<void> {
  let i = 0;
  while (i < count) {
    const save = c.pos;
    try {
      record(i);
      i++;
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      c.pos = save;
      const before = c.loaded;
      await c.grow(e.end);
      if (c.loaded <= before) throw new GgufError('truncated', 'gguf: source made no progress');
      throwIfAborted(signal);
    }
  }
}

const BITNET_ARCHS = new Set(['bitnet', 'bitnet-25', 'bitnet-b1.58']);
/** The fork's llama_ftype values for TL1, TL2 and I2_S (spec §2.6). */
const BITNET_FILE_TYPES = new Set([38, 39, 40]);

interface RawTensor {
  name: string;
  shape: number[];
  nElements: number;
  type: number;
  offset: number;
}

/** Bytes from a tensor's offset to the next larger offset (or the file end), when known. */
function spans(raws: RawTensor[], dataEnd: number | undefined): Map<RawTensor, number | undefined> {
  const sorted = [...raws].sort((a, b) => a.offset - b.offset);
  const out = new Map<RawTensor, number | undefined>();
  let next: number | undefined = dataEnd;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const t = sorted[i]!;
    out.set(t, next === undefined ? undefined : Math.max(0, next - t.offset));
    const prev = sorted[i - 1];
    if (prev && prev.offset < t.offset) next = t.offset;
  }
  return out;
}

function resolveFamily(arch: string | undefined, fileType: number | undefined, raws: RawTensor[], alignment: number, span: Map<RawTensor, number | undefined>): GgmlTypeFamily {
  if (raws.some((t) => t.type === 36 || t.type === 38)) return 'bitnet';
  if (arch === undefined || !BITNET_ARCHS.has(arch)) return 'upstream';
  if (fileType !== undefined && BITNET_FILE_TYPES.has(fileType)) return 'bitnet';
  const tl2 = raws.filter((t) => t.type === 39);
  if (tl2.length === 0) return 'upstream';
  const matches = tl2.every((t) => {
    let bytes: number;
    try {
      bytes = alignUp(tensorByteLength(39, t.shape, 'bitnet'), alignment);
    } catch {
      return false;
    }
    const s = span.get(t);
    return s === undefined || (s >= bytes && s <= bytes + alignment);
  });
  return matches ? 'bitnet' : 'upstream';
}

/**
 * Parses a GGUF header (v2/v3, little-endian) from bytes, a Blob, or any ByteSource, pulling only header bytes
 * (1 MiB first, doubling up to `maxHeaderBytes`). Tensor data is not read. Every failure is a GgufError.
 */
export async function parseGguf(input: Uint8Array | ArrayBuffer | Blob | ByteSource, opts: ParseGgufOptions = {}): Promise<GgufFile> {
  throwIfAborted(opts.signal);
  const maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeader) || maxHeader < 24) throw new GgufError('bad_value', `gguf: maxHeaderBytes must be an integer >= 24, got ${maxHeader}`);
  const src = toByteSource(input);
  try {
    return await parseSource(src, maxHeader, opts.signal);
  } finally {
    // a source made here is released here (a Blob's stream, with its read ahead); a caller's stays open
    if (src !== input) await src.close?.();
  }
}

async function parseSource(src: ByteSource, maxHeader: number, signal: AbortSignal | undefined): Promise<GgufFile> {
  const c = new HeaderCursor(src, maxHeader, signal);

  // --- fixed preamble: magic, version, counts (24 bytes) ---
  let version = 0;
  let tensorCount = 0;
  let kvCount = 0;
  await decodeRecords(
    c,
    1,
    () => {
      c.need(4);
      const magic = c.u32();
      if (magic !== GGUF_MAGIC) throw new GgufError('bad_magic', 'gguf: not a GGUF file (bad magic; expected "GGUF")');
      version = c.u32();
      if (version !== 0 && (version & 0xffff) === 0) {
        throw new GgufError('byte_order', `gguf: file is byte-swapped (big-endian, version reads as 0x${version.toString(16)}); only little-endian GGUF files are supported`);
      }
      if (version === 1) throw new GgufError('unsupported_version', 'gguf: unsupported version 1 (obsolete; only versions 2 and 3 are supported)');
      if (version !== 2 && version !== 3) throw new GgufError('unsupported_version', `gguf: unsupported version ${version} (only versions 2 and 3 are supported)`);
      tensorCount = c.u64Num();
      kvCount = c.u64Num();
      if (tensorCount > MAX_TENSOR_COUNT) throw new GgufError('limit_exceeded', `gguf: tensor count ${tensorCount} exceeds the limit of ${MAX_TENSOR_COUNT}`);
      if (kvCount > MAX_KV_COUNT) throw new GgufError('limit_exceeded', `gguf: metadata count ${kvCount} exceeds the limit of ${MAX_KV_COUNT}`);
      c.checkRemaining(kvCount * MIN_KV_RECORD_BYTES + tensorCount * MIN_TENSOR_INFO_BYTES, `${kvCount} metadata records and ${tensorCount} tensor infos`);
    },
    signal,
  );

  // --- key/value records ---
  const metadata: Record<string, GgufValue> = {};
  const metadataTypes: GgufFile['metadataTypes'] = {};
  const seenKeys = new Set<string>();
  // Plain objects for ergonomic consumers; a "__proto__" key is defined as an own property, never assigned.
  const put = <T>(obj: Record<string, T>, key: string, v: T) => {
    if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
    else obj[key] = v;
  };
  await decodeRecords(
    c,
    kvCount,
    (i) => {
      const key = c.str(MAX_KEY_BYTES, `metadata key #${i}`);
      if (key.length === 0) throw new GgufError('bad_value', `gguf: metadata key #${i} is empty`);
      if (seenKeys.has(key)) throw new GgufError('duplicate', `gguf: duplicate metadata key "${key}"`);
      const type = c.u32();
      if (type === GgufValueType.ARRAY) {
        const { value, arrayType } = c.array(`metadata "${key}"`);
        put(metadata, key, value);
        put(metadataTypes, key, { type, arrayType });
      } else {
        if (valueTypeSize(type) === undefined) throw new GgufError('bad_type', `gguf: metadata "${key}": unknown value type ${type}`);
        put(metadata, key, c.value(type, `metadata "${key}"`));
        put(metadataTypes, key, { type });
      }
      seenKeys.add(key);
    },
    signal,
  );

  // --- tensor infos ---
  const raws: RawTensor[] = [];
  const names = new Set<string>();
  await decodeRecords(
    c,
    tensorCount,
    (i) => {
      const name = c.str(MAX_TENSOR_NAME_BYTES, `tensor #${i} name`);
      if (names.has(name)) throw new GgufError('duplicate', `gguf: duplicate tensor name "${name}"`);
      const nDims = c.u32();
      if (nDims > MAX_DIMS) throw new GgufError('limit_exceeded', `gguf: tensor "${name}" has ${nDims} dimensions (at most ${MAX_DIMS})`);
      const shape: number[] = [];
      for (let d = 0; d < nDims; d++) shape.push(c.u64Safe(`tensor "${name}" dimension ${d}`));
      const type = c.u32();
      const offset = c.u64Safe(`tensor "${name}" offset`);
      const nElements = elementCount(shape);
      names.add(name);
      raws.push({ name, shape, nElements, type, offset });
    },
    signal,
  );
  const headerBytes = c.pos;
  const fileSize = c.fileSize ?? src.size;

  // --- alignment, data section ---
  let alignment = DEFAULT_ALIGNMENT;
  if (seenKeys.has('general.alignment')) {
    const a = metadata['general.alignment'];
    if (metadataTypes['general.alignment']?.type !== GgufValueType.UINT32 || typeof a !== 'number') {
      throw new GgufError('bad_alignment', 'gguf: general.alignment must be a UINT32');
    }
    if (a === 0 || (a & (a - 1)) !== 0) throw new GgufError('bad_alignment', `gguf: general.alignment ${a} is not a power of two`);
    alignment = a;
  }
  const tensorDataOffset = alignUp(headerBytes, alignment);

  // --- type family and tensor byte sizes ---
  const arch = typeof metadata['general.architecture'] === 'string' ? metadata['general.architecture'] : undefined;
  const ft = metadata['general.file_type'];
  const fileType = typeof ft === 'number' ? ft : typeof ft === 'bigint' && ft <= 1000n && ft >= 0n ? Number(ft) : undefined;
  const span = spans(raws, fileSize === undefined ? undefined : fileSize - tensorDataOffset);
  const typeFamily = resolveFamily(arch, fileType, raws, alignment, span);

  const tensors: GgufTensorInfo[] = [];
  let total = 0;
  for (const r of raws) {
    const known = ggmlTypeInfo(r.type, typeFamily) !== undefined;
    const byteLength = known ? tensorByteLength(r.type, r.shape, typeFamily) : (span.get(r) ?? 0);
    if (r.offset % alignment !== 0) {
      throw new GgufError('bad_alignment', `gguf: tensor "${r.name}" offset ${r.offset} is not a multiple of the alignment ${alignment}`);
    }
    if (r.offset > MAX_SAFE_BYTES - tensorDataOffset - byteLength) throw new GgufError('limit_exceeded', `gguf: tensor "${r.name}" ends beyond 2^53-1`);
    const absoluteOffset = tensorDataOffset + r.offset;
    if (fileSize !== undefined && absoluteOffset + byteLength > fileSize) {
      throw new GgufError('out_of_bounds', `gguf: tensor "${r.name}" [${absoluteOffset}, +${byteLength}) lies outside the file (${fileSize} bytes)`);
    }
    total += byteLength;
    if (total > MAX_SAFE_BYTES) throw new GgufError('limit_exceeded', 'gguf: total tensor bytes exceed 2^53-1');
    tensors.push({
      name: r.name,
      shape: r.shape,
      nElements: r.nElements,
      type: r.type,
      typeName: ggmlTypeName(r.type, typeFamily),
      typeKnown: known,
      offset: r.offset,
      absoluteOffset,
      byteLength,
    });
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.byteLength > 0 && b.byteLength > 0 && a.offset + a.byteLength > b.offset) {
      throw new GgufError('overlap', `gguf: tensors "${a.name}" and "${b.name}" overlap`);
    }
  }

  return {
    version,
    alignment,
    metadata,
    metadataTypes,
    tensors,
    tensorDataOffset,
    headerBytes,
    fileSize,
    typeFamily,
    architecture: arch,
  };
}
