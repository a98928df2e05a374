/**
 * Node-only helper of the browser benchmark: writes a copy of a GGUF file under another
 * `general.architecture` name, renaming the `{arch}.*` metadata keys with it and copying the tensor
 * data bytes unchanged. Upstream llama.cpp (so wllama) calls BitNet b1.58 `bitnet`, while
 * bitnet.cpp's files (and our synthetic 2B-4T models) say `bitnet-b1.58`; the tensors, shapes and
 * hyperparameter values are the same, so a retagged copy lets both engines run the very same bytes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { buildGgufHeader, parseGguf, type GgufWriteKV } from '@bitnet-wasm/gguf';
import { openFileSource } from '@bitnet-wasm/gguf/node';

/** What {@link retagArchitecture} did. */
export interface RetagSummary {
  from: string;
  to: string;
  renamedKeys: number;
  bytes: number;
}

/**
 * Copies `src` to `dst` with `general.architecture` = `arch` and every `{old}.` key renamed to
 * `{arch}.`; tensor infos and data are unchanged (their relative offsets are checked to match).
 * Writes `dst` under a temporary name first, so a crash never leaves a half-written model behind.
 */
export async function retagArchitecture(src: string, dst: string, arch: string): Promise<RetagSummary> {
  const source = await openFileSource(src);
  let gguf;
  try {
    gguf = await parseGguf(source);
  } finally {
    await (source as { close?: () => Promise<void> }).close?.();
  }
  const from = gguf.architecture;
  if (!from) throw new Error(`${src}: no general.architecture`);
  let renamed = 0;
  const metadata: GgufWriteKV[] = Object.entries(gguf.metadata).map(([key, value]) => {
    const t = gguf.metadataTypes[key]!;
    let k = key;
    if (key.startsWith(from + '.')) {
      k = arch + key.slice(from.length);
      renamed++;
    }
    const v = key === 'general.architecture' ? arch : value;
    return t.arrayType === undefined ? { key: k, type: t.type, value: v } : { key: k, type: t.type, value: v, arrayType: t.arrayType };
  });
  const built = buildGgufHeader({
    metadata,
    tensors: gguf.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, byteLength: t.byteLength })),
    alignment: gguf.alignment,
    version: gguf.version === 2 ? 2 : 3,
    family: gguf.typeFamily,
  });
  gguf.tensors.forEach((t, i) => {
    if (built.offsets[i] !== t.offset) throw new Error(`${src}: tensor ${t.name} is not laid out the way a GGUF writer would lay it out; cannot copy its data unchanged`);
  });
  const tmp = `${dst}.${process.pid}.tmp`;
  try {
    const out = createWriteStream(tmp);
    await new Promise<void>((res, rej) => out.write(built.header, (e) => (e ? rej(e) : res())));
    await pipeline(createReadStream(src, { start: gguf.tensorDataOffset }), out);
    await rename(tmp, dst);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { from, to: arch, renamedKeys: renamed, bytes: built.dataOffset + ((gguf.fileSize ?? gguf.tensorDataOffset) - gguf.tensorDataOffset) };
}
