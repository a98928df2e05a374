/**
 * Node entry of the browser benchmark, bundled by bin/browser-bench.mjs: the ratio table, the
 * architecture retagging and a header peek (the architecture name of a GGUF file).
 */
import { parseGguf } from '@bitnet-wasm/gguf';
import { openFileSource } from '@bitnet-wasm/gguf/node';

export { ratios } from './browser-common';
export { retagArchitecture, type RetagSummary } from './browser-retag';

/** `general.architecture` of a GGUF file (header only). */
export async function readArchitecture(path: string): Promise<string | undefined> {
  const src = await openFileSource(path);
  try {
    return (await parseGguf(src)).architecture;
  } finally {
    await (src as { close?: () => Promise<void> }).close?.();
  }
}
