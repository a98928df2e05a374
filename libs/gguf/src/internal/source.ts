/**
 * ByteSource: the random-access input of the parser, and the in-memory (Uint8Array/ArrayBuffer) and Blob
 * adapters. HTTP lives in ./http.ts; Node files in ../node.ts.
 */
import { GgufError, throwIfAborted } from './errors';

/** Random-access bytes. `size` is the total length when known. */
export interface ByteSource {
  /** Total length in bytes, or undefined while unknown (e.g. an HTTP source before its first response). */
  readonly size: number | undefined;
  /** A label for messages (file name or URL). */
  readonly name?: string;
  /** Exactly `length` bytes starting at `offset`, or GgufError('truncated' | 'io' | 'aborted'). The result may alias internal memory: do not write to it. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Optional zero-copy path: fill `target` from `offset` (e.g. a WASM heap view). Returns bytes read. */
  readInto?(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number>;
  /** Releases the underlying handle, if any. */
  close?(): Promise<void>;
}

/** Internal marker: the whole source is already in memory, so the parser can take it in one read. */
export const IN_MEMORY = Symbol.for('@bitnet-wasm/gguf.inMemory');

/** Validates a (offset, length) request against a known size; shared by all sources. */
export function checkRange(offset: number, length: number, size: number | undefined, name: string | undefined): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new GgufError('out_of_bounds', `gguf: bad read range offset=${offset} length=${length}${name ? ` in ${name}` : ''}`);
  }
  if (size !== undefined && offset + length > size) {
    throw new GgufError('truncated', `gguf: read of ${length} bytes at ${offset} runs past the end (${size} bytes)${name ? ` of ${name}` : ''}`);
  }
}

class MemorySource implements ByteSource {
  readonly [IN_MEMORY] = true;
  readonly size: number;
  constructor(private readonly bytes: Uint8Array, readonly name?: string) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    checkRange(offset, length, this.size, this.name);
    return this.bytes.subarray(offset, offset + length);
  }
  async readInto(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    checkRange(offset, target.length, this.size, this.name);
    target.set(this.bytes.subarray(offset, offset + target.length));
    return target.length;
  }
}

/** Window of a Blob source: reads are served from windows of this size, the next one fetched ahead. */
export const BLOB_WINDOW_BYTES = 32 * 1024 * 1024;

/**
 * A Blob/File. Each blob.slice().arrayBuffer() costs a round trip to wherever the browser keeps the blob (a
 * disk-backed File from OPFS, a fetched body), and few large slices are much faster than many small ones
 * (Chromium, 1.19 GB: 2.2 s in 8 MiB slices, 1.3 s in 64 MiB). So reads of up to `windowBytes` are cut
 * from windows of that size, read sequentially, and the window after the current one is already being
 * fetched while the caller works on this one (a loader that reads the file front to back waits only for
 * what the blob delivers slower than it packs). Larger reads go straight to one slice.
 */
export class BlobSource implements ByteSource {
  readonly size: number;
  readonly name?: string;
  private win: { start: number; bytes: Uint8Array } | undefined;
  /** The window after the current one, being fetched. */
  private ahead: { start: number; bytes: Promise<Uint8Array> } | undefined;
  constructor(
    private readonly blob: Blob,
    private readonly windowBytes = BLOB_WINDOW_BYTES,
  ) {
    this.size = blob.size;
    const n = (blob as { name?: unknown }).name;
    if (typeof n === 'string') this.name = n;
  }
  private async slice(start: number, end: number): Promise<Uint8Array> {
    let buf: ArrayBuffer;
    try {
      buf = await this.blob.slice(start, end).arrayBuffer();
    } catch (e) {
      throw new GgufError('io', `gguf: reading blob failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    if (buf.byteLength !== end - start) throw new GgufError('truncated', `gguf: blob returned ${buf.byteLength} of ${end - start} bytes`);
    return new Uint8Array(buf);
  }
  /** Makes the window start at `start` (the prefetched one when it does), and starts fetching the next. */
  private async moveTo(start: number): Promise<{ start: number; bytes: Uint8Array }> {
    const a = this.ahead?.start === start ? this.ahead : undefined;  // else not front to back: drop it
    this.win = undefined;
    const end = Math.min(this.size, start + this.windowBytes);
    const pending = a ? a.bytes : this.slice(start, end);
    this.ahead = undefined;
    if (end < this.size) {
      const p = this.slice(end, Math.min(this.size, end + this.windowBytes));
      p.catch(() => undefined);  // an unused prefetch must not surface as an unhandled rejection
      this.ahead = { start: end, bytes: p };
    }
    const win = { start, bytes: await pending };
    this.win = win;
    return win;
  }
  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    checkRange(offset, length, this.size, this.name);
    if (length > this.windowBytes) {
      const out = await this.slice(offset, offset + length);
      throwIfAborted(signal);
      return out;
    }
    let w = this.win;
    if (!w || offset < w.start || offset >= w.start + w.bytes.length) w = await this.moveTo(offset);
    throwIfAborted(signal);
    const end = w.start + w.bytes.length;
    if (offset + length <= end) return w.bytes.subarray(offset - w.start, offset - w.start + length);
    // across two windows: the tail of this one, then the head of the next (length <= window size)
    const out = new Uint8Array(length);
    out.set(w.bytes.subarray(offset - w.start));
    const w2 = await this.moveTo(end);
    throwIfAborted(signal);
    out.set(w2.bytes.subarray(0, offset + length - end), end - offset);
    return out;
  }
  async readInto(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number> {
    target.set(await this.read(offset, target.length, signal));
    return target.length;
  }
}

function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && typeof (x as ByteSource).read === 'function' && 'size' in x;
}

/** Wraps bytes, an ArrayBuffer, a Blob/File, or passes a ByteSource through. In-memory inputs are not copied. */
export function toByteSource(input: Uint8Array | ArrayBuffer | Blob | ByteSource): ByteSource {
  if (input instanceof Uint8Array) return new MemorySource(input);
  if (input instanceof ArrayBuffer) return new MemorySource(new Uint8Array(input));
  if (typeof Blob !== 'undefined' && input instanceof Blob) return new BlobSource(input);
  if (isByteSource(input)) return input;
  throw new GgufError('bad_value', 'gguf: input must be a Uint8Array, ArrayBuffer, Blob or ByteSource');
}
