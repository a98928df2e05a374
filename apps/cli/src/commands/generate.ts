/**
 * `bitnet generate`: stream a completion to stdout.
 *   bitnet generate --model <gguf> (--prompt <text> | --tokens <ids>) [-n N] [--temp T] [--top-k K]
 *     [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--threads N] [--ctx N] [--head f16|q8_0] [--json]
 * `--json` prints { ids, text, timings } at the end instead of streaming.
 */
import { loadModel, type SamplingOptions } from '@bitnet-wasm/runtime/node';
import { headOpt, intOpt, numOpt, parse, progressBar, reportError, UsageError } from '../cli-util';

export const GENERATE_OPTIONS = {
  model: { type: 'string', short: 'm' },
  prompt: { type: 'string', short: 'p' },
  tokens: { type: 'string' },
  n: { type: 'string', short: 'n' },
  temp: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repeat-penalty': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string', short: 't' },
  ctx: { type: 'string', short: 'c' },
  head: { type: 'string' },
  json: { type: 'boolean' },
  'no-bos': { type: 'boolean' },
  'parse-special': { type: 'boolean' },
  'ignore-eos': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function samplingFrom(v: Record<string, string | boolean | undefined>): SamplingOptions {
  const s: SamplingOptions = {};
  const temp = numOpt(v.temp as string | undefined, 'temp');
  if (temp !== undefined) s.temperature = temp;
  const k = intOpt(v['top-k'] as string | undefined, 'top-k');
  if (k !== undefined) s.topK = k;
  const p = numOpt(v['top-p'] as string | undefined, 'top-p');
  if (p !== undefined) s.topP = p;
  const mp = numOpt(v['min-p'] as string | undefined, 'min-p');
  if (mp !== undefined) s.minP = mp;
  const rp = numOpt(v['repeat-penalty'] as string | undefined, 'repeat-penalty');
  if (rp !== undefined) s.repeatPenalty = rp;
  const seed = intOpt(v.seed as string | undefined, 'seed');
  if (seed !== undefined) s.seed = seed;
  return s;
}

export function loadOptionsFrom(v: Record<string, string | boolean | undefined>) {
  return {
    threads: intOpt(v.threads as string | undefined, 'threads'),
    contextLength: intOpt(v.ctx as string | undefined, 'ctx'),
    headType: headOpt(v.head as string | undefined),
  };
}

export function parseTokenList(s: string): number[] {
  const ids = s.split(/[\s,]+/).filter(Boolean).map(Number);
  if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`--tokens must be comma-separated non-negative integers`);
  return ids;
}

const HELP = `usage: bitnet generate --model <gguf> (--prompt <text> | --tokens <ids>) [-n N] [--temp T] [--top-k K]
       [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--threads N] [--ctx N] [--head f16|q8_0]
       [--no-bos] [--parse-special] [--ignore-eos] [--json]
Streams the completion to stdout. --temp 0 is greedy. --json prints {ids, text, timings} at the end.`;

export async function generateCommand(argv: string[]): Promise<number> {
  try {
    const { values: v } = parse(argv, GENERATE_OPTIONS);
    if (v.help) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    if (!v.model) throw new UsageError('--model is required');
    if ((v.prompt === undefined) === (v.tokens === undefined)) throw new UsageError('give exactly one of --prompt or --tokens');
    const prompt = v.tokens !== undefined ? parseTokenList(v.tokens) : v.prompt!;
    const model = await loadModel(v.model, { ...loadOptionsFrom(v), onProgress: progressBar('loading') });
    try {
      const it = model.generate(prompt, {
        maxTokens: intOpt(v.n, 'n', 128),
        sampling: samplingFrom(v),
        stopAtEog: !v['ignore-eos'],
        addBos: v['no-bos'] ? false : undefined,
        parseSpecial: v['parse-special'] ?? false,
      });
      let r = await it.next();
      while (!r.done) {
        if (!v.json) process.stdout.write(r.value.text);
        r = await it.next();
      }
      const done = r.value;
      if (v.json) {
        process.stdout.write(JSON.stringify({ ids: done.tokens, text: done.text, promptIds: done.promptTokens, stopReason: done.stopReason, timings: done.timings }) + '\n');
      } else {
        process.stdout.write('\n');
        const t = done.timings;
        process.stderr.write(
          `prefill ${t.prefillTokens} tok ${t.prefillTokensPerSecond.toFixed(1)} tok/s · decode ${t.decodeTokens} tok ${t.decodeTokensPerSecond.toFixed(1)} tok/s · stop: ${done.stopReason}\n`,
        );
      }
    } finally {
      model.dispose();
    }
    return 0;
  } catch (e) {
    return reportError(e);
  }
}
