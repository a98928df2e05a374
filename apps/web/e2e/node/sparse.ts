/**
 * Node-side helper of the e2e tests, bundled with esbuild by ../fixtures.ts (workspace packages
 * resolved to their TypeScript sources): a sparse GGUF whose header declares a model too large for
 * wasm32 (header written, the rest a hole made with ftruncate, so it costs no disk).
 */
import { closeSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { buildGgufHeader } from '@bitnet-wasm/gguf';
import { synthModelSpec, type SynthOptions } from '@bitnet-wasm/tools-models';

/** Writes the header of the synthetic model `opts` and extends the file to its full size as a hole. */
export function writeSparseModel(path: string, opts: SynthOptions): { bytes: number; headerBytes: number; parameters: number } {
  const spec = synthModelSpec(opts);
  const { header, totalBytes } = buildGgufHeader({
    metadata: spec.metadata,
    tensors: spec.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, byteLength: t.byteLength })),
    alignment: spec.alignment,
  });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < header.length) off += writeSync(fd, header, off, header.length - off);
    ftruncateSync(fd, totalBytes);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const parameters = spec.tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  return { bytes: totalBytes, headerBytes: header.length, parameters };
}
