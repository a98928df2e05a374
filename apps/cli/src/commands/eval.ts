/**
 * `bitnet eval`: logits of every position as float32 little-endian rows.
 *   bitnet eval --model <gguf> --tokens <ids> --logits-out <file.f32> [--batch] [--threads N] [--ctx N] [--head f16|q8_0]
 * Tokens are evaluated one per forward call (default) or as one prefill batch (--batch).
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '@bitnet-wasm/runtime/node';
import { parse, progressBar, reportError, UsageError } from '../cli-util';
import { loadOptionsFrom, parseTokenList } from './generate';

export async function evalCommand(argv: string[]): Promise<number> {
  try {
    const { values: v } = parse(argv, {
      model: { type: 'string', short: 'm' },
      tokens: { type: 'string' },
      'logits-out': { type: 'string' },
      batch: { type: 'boolean' },
      threads: { type: 'string', short: 't' },
      ctx: { type: 'string', short: 'c' },
      head: { type: 'string' },
    });
    if (!v.model || !v.tokens || !v['logits-out']) throw new UsageError('usage: bitnet eval --model <gguf> --tokens <ids> --logits-out <file.f32> [--batch]');
    const ids = parseTokenList(v.tokens);
    const model = await loadModel(v.model, { ...loadOptionsFrom(v), onProgress: progressBar('loading') });
    try {
      const logits = model.eval(ids, { allLogits: true, oneByOne: !v.batch });
      writeFileSync(v['logits-out'], new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
      process.stderr.write(`wrote ${ids.length} rows × ${model.hparams.nVocab} logits to ${v['logits-out']}\n`);
    } finally {
      model.dispose();
    }
    return 0;
  } catch (e) {
    return reportError(e);
  }
}
