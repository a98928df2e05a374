/**
 * @bitnet-wasm/gguf/node — Node-only helpers: a ByteSource over an fs.FileHandle (positional reads, readInto for
 * zero-copy fills of e.g. a WASM heap view). Re-exports the isomorphic API for convenience.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { GgufError } from './internal/errors';
import type { ByteSource } from './internal/source';
export * from './index';

function ioError(e: unknown, what: string): GgufError {
  if (e instanceof GgufError) return e;
  return new GgufError('io', `gguf: ${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

class FileSource implements ByteSource {
  constructor(private readonly fh: FileHandle, readonly size: number, readonly name: string) {}

  async readInto(offset: number, target: Uint8Array, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) throw new GgufError('aborted', 'gguf: operation aborted', { cause: signal.reason });
    if (!Number.isSafeInteger(offset) || offset < 0) throw new GgufError('out_of_bounds', `gguf: bad read offset ${offset}`);
    if (offset + target.length > this.size) {
      throw new GgufError('truncated', `gguf: read of ${target.length} bytes at ${offset} runs past the end of ${this.name} (${this.size} bytes)`);
    }
    let done = 0;
    // Positional reads are capped at 1 GiB per call to stay under the platform's per-call limit (2 GiB - 1 on Linux).
    const MAX_READ = 1 << 30;
    while (done < target.length) {
      if (signal?.aborted) throw new GgufError('aborted', 'gguf: operation aborted', { cause: signal.reason });
      let n: number;
      try {
        ({ bytesRead: n } = await this.fh.read(target, done, Math.min(target.length - done, MAX_READ), offset + done));
      } catch (e) {
        throw ioError(e, `reading ${this.name}`);
      }
      if (n === 0) throw new GgufError('truncated', `gguf: ${this.name} ended at ${offset + done}, wanted ${offset + target.length}`);
      done += n;
    }
    return done;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0) throw new GgufError('out_of_bounds', `gguf: bad read length ${length}`);
    if (offset + length > this.size) throw new GgufError('truncated', `gguf: read of ${length} bytes at ${offset} runs past the end of ${this.name} (${this.size} bytes)`);
    const out = new Uint8Array(length);
    await this.readInto(offset, out, signal);
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Opens a file as a ByteSource (size from fstat; call `close()` when done). I/O failures are GgufError('io'). */
export async function openFileSource(path: string): Promise<ByteSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(e, `cannot open ${path}`);
  }
  try {
    const st = await fh.stat();
    return new FileSource(fh, st.size, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw ioError(e, `cannot stat ${path}`);
  }
}
