// Node-only streaming writer for synthetic models of any size: the GGUF header comes from buildGgufHeader, then
// every tensor is generated and written chunk by chunk, so peak memory stays at a few MB plus the vocabulary
// whatever the file size. Writes to a temporary name and renames, so a reader never sees a half-written file.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { buildGgufHeader } from '@bitnet-wasm/gguf';
import { SynthError } from './errors';
import { synthModelSpec, synthTensorChunks, type SynthModelSpec, type SynthOptions } from './synth';

/** Progress report of {@link writeSynthModelFile}. */
export interface SynthProgress {
  /** File bytes written so far. */
  bytesWritten: number;
  /** Final file size. */
  totalBytes: number;
  /** Tensor being written. */
  tensor: string;
  /** True on the report after the tensor's last chunk. */
  tensorDone: boolean;
  /** Index of `tensor` in file order. */
  tensorIndex: number;
  /** Number of tensors in the file. */
  tensorCount: number;
}

/** Options of {@link writeSynthModelFile}. */
export interface WriteSynthFileOptions {
  /** Called after every generated chunk (at least once per tensor). @default undefined */
  onProgress?: (p: SynthProgress) => void;
}

/** Result of {@link writeSynthModelFile}. */
export interface WriteSynthFileResult {
  /** The model description that was written. */
  spec: SynthModelSpec;
  /** File size in bytes. */
  bytes: number;
  /** Absolute offset of the tensor data section. */
  dataOffset: number;
}

const ZEROS = new Uint8Array(4096);

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

function writeZeros(fd: number, n: number): void {
  while (n > 0) {
    const k = Math.min(n, ZEROS.length);
    writeAll(fd, ZEROS.subarray(0, k));
    n -= k;
  }
}

/**
 * Write a synthetic model to `path` by streaming (byte-identical to `writeSynthModel(opts)`).
 * Use for the 1.2 GB `2b4t` preset; small models can use the in-memory writer.
 */
export function writeSynthModelFile(
  path: string,
  opts: SynthOptions = {},
  { onProgress }: WriteSynthFileOptions = {},
): WriteSynthFileResult {
  const spec = synthModelSpec(opts);
  const { header, dataOffset, offsets, totalBytes } = buildGgufHeader({
    metadata: spec.metadata,
    tensors: spec.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, byteLength: t.byteLength })),
    alignment: spec.alignment,
  });
  if (header.length > dataOffset) {
    throw new SynthError('bad_data', `header: ${header.length} bytes exceed the data offset ${dataOffset}`);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let pos = 0;
  try {
    writeAll(fd, header);
    pos = header.length;
    spec.tensors.forEach((t, i) => {
      const start = dataOffset + Number(offsets[i]);
      if (start < pos) throw new SynthError('bad_data', `${t.name}: offset ${start} overlaps the previous tensor`);
      writeZeros(fd, start - pos);
      pos = start;
      const report = (tensorDone: boolean): void =>
        onProgress?.({ bytesWritten: pos, totalBytes, tensor: t.name, tensorDone, tensorIndex: i, tensorCount: spec.tensors.length });
      let chunks = 0;
      for (const chunk of synthTensorChunks(spec, t)) {
        if (chunks++ > 0) report(false); // previous chunk written (the report for the last one comes below)
        writeAll(fd, chunk);
        pos += chunk.length;
      }
      if (pos !== start + t.byteLength) {
        throw new SynthError('bad_data', `${t.name}: generated ${pos - start} bytes, expected ${t.byteLength}`);
      }
      report(true);
    });
    writeZeros(fd, totalBytes - pos);
    pos = Math.max(pos, totalBytes);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  return { spec, bytes: pos, dataOffset };
}
