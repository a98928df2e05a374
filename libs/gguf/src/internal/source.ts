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

class BlobSource implements ByteSource {
  readonly size: number;
  readonly name?: string;
  constructor(private readonly blob: Blob) {
    this.size = blob.size;
    const n = (blob as { name?: unknown }).name;
    if (typeof n === 'string') this.name = n;
  }
  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    checkRange(offset, length, this.size, this.name);
    let buf: ArrayBuffer;
    try {
      buf = await this.blob.slice(offset, offset + length).arrayBuffer();
    } catch (e) {
      throw new GgufError('io', `gguf: reading blob failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    throwIfAborted(signal);
    if (buf.byteLength !== length) throw new GgufError('truncated', `gguf: blob returned ${buf.byteLength} of ${length} bytes`);
    return new Uint8Array(buf);
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
