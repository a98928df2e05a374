/**
 * @bitnet-wasm/runtime/node — the runtime for Node.js: loads the WebAssembly kernels from
 * @bitnet-wasm/kernels (threaded build when threads > 1) and accepts file paths and URLs as sources.
 */
import { availableParallelism } from 'node:os';
import { httpByteSource, type ByteSource } from '@bitnet-wasm/gguf';
import { openFileSource } from '@bitnet-wasm/gguf/node';
import { loadNodeKernels } from '@bitnet-wasm/kernels/node';
import { BitNet, defaultThreadCount, inspectModel, type LoadOptions } from './internal/model';

export * from './index';

export type NodeLoadOptions = Omit<LoadOptions, 'kernels'> & { kernels?: LoadOptions['kernels'] };

/** A path, an http(s) URL, or any source the isomorphic loader takes. */
export type NodeModelSource = string | Uint8Array | ArrayBuffer | Blob | ByteSource;

async function openSource(src: NodeModelSource): Promise<{ source: Exclude<NodeModelSource, string>; close?: () => Promise<void> }> {
  if (typeof src !== 'string') return { source: src };
  if (/^https?:\/\//i.test(src)) return { source: httpByteSource(src) };
  const s = await openFileSource(src);
  return { source: s, close: s.close ? () => s.close!() : undefined };
}

/** Default threads in Node: half the cores (at most 4). */
export function nodeDefaultThreads(): number {
  return defaultThreadCount(availableParallelism());
}

/** Loads a model in Node. `threads` defaults to nodeDefaultThreads(). */
export async function loadModel(src: NodeModelSource, opts: NodeLoadOptions = {}): Promise<BitNet> {
  const threads = opts.threads ?? nodeDefaultThreads();
  // kernels created here belong to the model: disposing it ends their threads
  const kernels = opts.kernels ?? (await loadNodeKernels({ threads }));
  const { source, close } = await openSource(src);
  try {
    return await BitNet.load(source, { ...opts, threads, kernels, disposeKernels: opts.disposeKernels ?? !opts.kernels });
  } catch (e) {
    if (!opts.kernels) kernels.dispose?.();
    throw e;
  } finally {
    await close?.();
  }
}

/** Header-only inspection with the memory plan (no weights read). */
export async function inspectModelFile(src: NodeModelSource, opts: NodeLoadOptions = {}) {
  const threads = opts.threads ?? 1;
  const kernels = opts.kernels ?? (await loadNodeKernels({ threads }));
  const { source, close } = await openSource(src);
  try {
    return await inspectModel(source, { ...opts, threads, kernels });
  } finally {
    await close?.();
    if (!opts.kernels) kernels.dispose?.();
  }
}
