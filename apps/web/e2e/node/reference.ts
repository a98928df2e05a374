/**
 * Node-side helper of the e2e tests, bundled with esbuild by ../fixtures.ts: the reference greedy
 * generation of the Node runtime, used when the CLI has no `generate` command.
 */
import { loadModel } from '@bitnet-wasm/runtime/node';

/** What `bitnet generate --json` prints (the fields the tests use). */
export interface ReferenceResult {
  ids: number[];
  text: string;
  promptIds: number[];
}

/** Greedy generation with the Node runtime (one thread, no repetition penalty), like the CLI's `--temp 0 --repeat-penalty 1`. */
export async function referenceGenerate(model: string, prompt: string, n: number): Promise<ReferenceResult> {
  const m = await loadModel(model, { threads: 1 });
  try {
    const r = await m.complete(prompt, { maxTokens: n, sampling: { temperature: 0, repeatPenalty: 1 } });
    return { ids: r.tokens, text: r.text, promptIds: r.promptTokens };
  } finally {
    m.dispose();
  }
}
