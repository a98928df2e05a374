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

/** Size of each of the two buffers a Blob stream reads into (one being consumed, one being filled). */
export const BLOB_STREAM_CHUNK_BYTES = 8 * 1024 * 1024;
/** Reads of at least this many bytes start a stream (smaller ones are served from windows). */
export const BLOB_STREAM_MIN_BYTES = 1024 * 1024;
/** A forward gap up to this size is read through and dropped rather than opening a new stream. */
export const BLOB_STREAM_SKIP_BYTES = 16 * 1024 * 1024;

/**
 * A stream read that delivered nothing for this long is taken as stuck: Chromium 156 sometimes never settled
 * the first read of a byte stream over a File just written to the Origin Private File System (seen in the web
 * e2e runs, not reproduced in isolation). The source then reads through windows, and so does every BlobSource
 * after it in this realm.
 */
const BLOB_STREAM_STALL_MS = 1500;
const STALLED = Symbol('stalled');
class StreamStalled extends Error {}
let streamsStalledHere = false;

/**
 * Front-to-back reader of blob.slice(start) through its byte stream with a BYOB reader. The bytes land in
 * two buffers that are reused (one being consumed while a read into the other is in flight), so a long
 * sequential load neither allocates a buffer per piece nor waits for a read it could have started earlier.
 * Measured in Chromium, 600 MB in a worker: 0.6-0.9 s, against 1.0-2.0 s in 32 MiB slice().arrayBuffer()
 * windows (each a fresh buffer).
 */
class BlobStream {
  pos: number;
  private readonly reader: ReadableStreamBYOBReader;
  /** Unconsumed bytes of the buffer being consumed. */
  private cur: Uint8Array = new Uint8Array(0);
  /** The buffer no read is using (until the first read completes). */
  private spare: ArrayBuffer | undefined;
  private next: Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Throws (TypeError) where the blob has no byte stream: the caller falls back to windows. */
  constructor(
    blob: Blob,
    start: number,
    chunkBytes: number,
    private readonly name: string | undefined,
  ) {
    this.reader = blob.slice(start).stream().getReader({ mode: 'byob' });
    this.pos = start;
    this.spare = new ArrayBuffer(chunkBytes);
    this.next = this.reader.read(new Uint8Array(new ArrayBuffer(chunkBytes)));
    this.next.catch(() => undefined);  // surfaced by the fill that awaits it, if any
  }
  /** Fills target with the next target.length bytes. */
  async fill(target: Uint8Array, signal?: AbortSignal): Promise<void> {
    let off = 0;
    while (off < target.length) {
      if (this.cur.length === 0) {
        await this.advance();
        throwIfAborted(signal);
      }
      const n = Math.min(this.cur.length, target.length - off);
      target.set(this.cur.subarray(0, n), off);
      this.cur = this.cur.subarray(n);
      off += n;
      this.pos += n;
    }
  }
  /** Drops the next n bytes. */
  async skip(n: number, signal?: AbortSignal): Promise<void> {
    while (n > 0) {
      if (this.cur.length === 0) {
        await this.advance();
        throwIfAborted(signal);
      }
      const k = Math.min(n, this.cur.length);
      this.cur = this.cur.subarray(k);
      this.pos += k;
      n -= k;
    }
  }
  cancel(): void {
    this.reader.cancel().catch(() => undefined);
  }
  /** cur is empty: take the read in flight, and start the next one into the buffer just consumed. */
  private async advance(): Promise<void> {
    const free = this.spare ?? (this.cur.buffer as ArrayBuffer);  // a BYOB read's buffer: never shared
    this.spare = undefined;
    let r: ReadableStreamReadResult<Uint8Array> | typeof STALLED;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      r = await Promise.race([this.next, new Promise<typeof STALLED>((res) => (timer = setTimeout(() => res(STALLED), BLOB_STREAM_STALL_MS)))]);
    } catch (e) {
      throw new GgufError('io', `gguf: reading blob failed: ${(e as Error)?.message ?? e}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    if (r === STALLED) throw new StreamStalled();
    if (r.done || !r.value || r.value.length === 0) throw new GgufError('truncated', `gguf: blob ended at ${this.pos}${this.name ? ` in ${this.name}` : ''}`);
    this.cur = r.value;
    this.next = this.reader.read(new Uint8Array(free));
    this.next.catch(() => undefined);
  }
}

/**
 * A Blob/File. Two ways in, both reading ahead while the caller works:
 * - Large reads (BLOB_STREAM_MIN_BYTES or more) and the reads that continue them go through the blob's byte
 *   stream (BlobStream): a model's tensors, read front to back. Streams only move forward: a read far ahead
 *   starts a new one (blob.slice(offset) costs nothing), a read wholly behind goes to the windows.
 * - Small reads elsewhere (the header) are cut from windows of up to `windowBytes`, read sequentially
 *   with slice().arrayBuffer(), the window after the current one already being fetched. Each slice costs a
 *   round trip to wherever the browser keeps the blob, and few large slices are much faster than many
 *   small ones (Chromium, 1.19 GB: 2.2 s in 8 MiB slices, 1.3 s in 64 MiB). Reads larger than a window go
 *   straight to one slice. Where a blob has no byte stream (getReader({ mode: 'byob' }) throws), every
 *   read takes this path.
 */
export class BlobSource implements ByteSource {
  readonly size: number;
  readonly name?: string;
  private win: { start: number; bytes: Uint8Array } | undefined;
  /** The window after the current one, being fetched. */
  private ahead: { start: number; bytes: Promise<Uint8Array> } | undefined;
  /** The stream of the current front-to-back run, if any. */
  private seq: BlobStream | undefined;
  /** false once this blob turned out to have no byte stream (a stall: streamsStalledHere, realm-wide) */
  private streams = true;
  constructor(
    private readonly blob: Blob,
    private readonly windowBytes = BLOB_WINDOW_BYTES,
    private readonly streamChunkBytes = BLOB_STREAM_CHUNK_BYTES,
    private readonly streamMinBytes = BLOB_STREAM_MIN_BYTES,
    private readonly streamSkipBytes = BLOB_STREAM_SKIP_BYTES,
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
  /**
   * Whether [offset, offset + length) comes from the byte stream: a read that continues the current stream,
   * overlaps its position or starts a short skip ahead of it; or, with no stream or far ahead of it, a read
   * large enough to start one. A read wholly behind the stream goes to the windows: a BlobSource opens a
   * new stream only ahead of the old one. (Chromium left the first read of a stream opened behind a
   * cancelled one on the same OPFS file pending for good, after a few streams on that file.)
   */
  private usesStream(offset: number, length: number): boolean {
    if (!this.streams || streamsStalledHere) return false;
    const s = this.seq;
    if (s && offset + length > s.pos && offset <= s.pos + this.streamSkipBytes) return true;
    return length >= this.streamMinBytes && (!s || offset > s.pos);
  }
  /** Fills target with [offset, +target.length) through the stream (usesStream said so); false if there is none here. */
  private async fromStream(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<boolean> {
    let s = this.seq;
    if (!s || offset > s.pos + this.streamSkipBytes) {
      s?.cancel();
      this.seq = undefined;
      try {
        s = this.seq = new BlobStream(this.blob, offset, this.streamChunkBytes, this.name);
      } catch {
        this.streams = false;  // no byte stream here
        return false;
      }
      this.win = this.ahead = undefined;  // a stream now carries the reads: let the windows go
    }
    const st = s;
    let done = 0;
    try {
      if (offset < st.pos) {
        // the head is behind the stream (a header parse reads past the data offset): one slice for it
        done = st.pos - offset;
        target.set(await this.slice(offset, st.pos));
        throwIfAborted(signal);
      } else if (offset > st.pos) await this.guarded(st, () => st.skip(offset - st.pos, signal));
      await this.guarded(st, () => st.fill(target.subarray(done), signal));
    } catch (e) {
      if (!(e instanceof StreamStalled)) throw e;
      streamsStalledHere = true;  // usesStream says no from now on, here and in every later BlobSource
      return false;  // the caller reads the whole range again through the windows
    }
    return true;
  }
  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    checkRange(offset, length, this.size, this.name);
    if (this.usesStream(offset, length)) {
      const out = new Uint8Array(length);
      if (await this.fromStream(offset, out, signal)) return out;
    }
    return this.fromWindows(offset, length, signal);
  }
  private async fromWindows(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
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
    throwIfAborted(signal);
    checkRange(offset, target.length, this.size, this.name);
    if (!(this.usesStream(offset, target.length) && (await this.fromStream(offset, target, signal)))) {
      target.set(await this.fromWindows(offset, target.length, signal));
    }
    return target.length;
  }
  /** Runs op on stream s, dropping s when op fails (an abort leaves it usable: its position stays exact). */
  private async guarded(s: BlobStream, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (e) {
      if ((e as GgufError).code !== 'aborted' && this.seq === s) {
        s.cancel();
        this.seq = undefined;
      }
      throw e;
    }
  }
  async close(): Promise<void> {
    this.seq?.cancel();
    this.seq = undefined;
    this.win = this.ahead = undefined;
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
