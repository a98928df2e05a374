/**
 * Node-side helper of the e2e tests, bundled with esbuild by ../fixtures.ts: the reference greedy
 * generation of the Node runtime, used when the CLI's `generate` command is not available.
 */
import { loadModel } from '@bitnet-wasm/runtime/node';

/** What `bitnet generate --json` prints (the fields the tests use). */
export interface ReferenceResult {
  ids: number[];
  text: string;
  promptIds: number[];
}

/** Generation with the Node runtime on one thread, with the CLI's sampling options. */
export async function referenceGenerate(
  model: string,
  prompt: string,
  n: number,
  s: { temperature: number; topK: number; topP: number; minP: number; repeatPenalty: number; seed: number },
): Promise<ReferenceResult> {
  const m = await loadModel(model, { threads: 1 });
  try {
    const r = await m.complete(prompt, { maxTokens: n, sampling: s });
    return { ids: r.tokens, text: r.text, promptIds: r.promptTokens };
  } finally {
    m.dispose();
  }
}
