// Command line of the synthetic model writer (run through bin/synth.mjs, which bundles this file on the fly):
//   synth --preset <2b4t|demo|tiny> --out <file> [--type i2_s|tq2_0|tq1_0|f16|f32] [--seed N] [--embd f16|q8_0|f32]
// Streams the file (constant memory), prints progress on stderr and a JSON summary on stdout.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SynthError } from './errors';
import { writeSynthModelFile } from './node';
import { PRESETS, type SynthPresetName } from './presets';
import type { SynthEmbdType, SynthOptions, SynthWeightType } from './synth';

const USAGE = `usage: synth --preset <${Object.keys(PRESETS).join('|')}> --out <file> [options]
  --type i2_s|tq2_0|tq1_0|f16|f32   type of the projection matrices (default: the preset's)
  --embd f16|q8_0|f32               type of token_embd (default: the preset's)
  --seed N                          PRNG seed, non-negative integer (default: the preset's)
  --help                            this text
`;

const WEIGHT_TYPES: readonly SynthWeightType[] = ['i2_s', 'tq2_0', 'tq1_0', 'f16', 'f32'];
const EMBD_TYPES: readonly SynthEmbdType[] = ['f16', 'q8_0', 'f32'];

/** Parsed command line. */
export interface SynthCliArgs {
  preset: SynthPresetName;
  out: string;
  options: SynthOptions;
}

/** Parse argv (without node and script); returns null for --help. Throws SynthError `bad_option`. */
export function parseSynthArgs(argv: readonly string[]): SynthCliArgs | null {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return null;
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new SynthError('bad_option', `argument: unexpected "${a}"`);
    const name = m[1]!;
    if (!['preset', 'out', 'type', 'seed', 'embd'].includes(name)) {
      throw new SynthError('bad_option', `--${name}: unknown option`);
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new SynthError('bad_option', `--${name}: missing value`);
    flags.set(name, value);
  }
  const preset = flags.get('preset');
  if (preset === undefined || !(preset in PRESETS)) {
    throw new SynthError('bad_option', `--preset: expected one of ${Object.keys(PRESETS).join(', ')}, got ${preset}`);
  }
  const out = flags.get('out');
  if (out === undefined || out === '') throw new SynthError('bad_option', '--out: missing output file');
  const options: SynthOptions = { ...PRESETS[preset as SynthPresetName] };
  const type = flags.get('type');
  if (type !== undefined) {
    if (!WEIGHT_TYPES.includes(type as SynthWeightType)) {
      throw new SynthError('bad_option', `--type: expected one of ${WEIGHT_TYPES.join(', ')}, got ${type}`);
    }
    options.weightType = type as SynthWeightType;
  }
  const embd = flags.get('embd');
  if (embd !== undefined) {
    if (!EMBD_TYPES.includes(embd as SynthEmbdType)) {
      throw new SynthError('bad_option', `--embd: expected one of ${EMBD_TYPES.join(', ')}, got ${embd}`);
    }
    options.embdType = embd as SynthEmbdType;
  }
  const seed = flags.get('seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed) || !Number.isSafeInteger(Number(seed))) {
      throw new SynthError('bad_option', `--seed: expected a non-negative integer, got ${seed}`);
    }
    options.seed = Number(seed);
  }
  return { preset: preset as SynthPresetName, out, options };
}

/** Where the CLI writes text (process.stdout / process.stderr or a test sink). */
export interface TextSink {
  write(text: string): unknown;
}

/** Run the CLI; returns the process exit code (0 ok, 1 failure, 2 bad arguments). */
export function main(argv: readonly string[], stdout: TextSink = process.stdout, stderr: TextSink = process.stderr): number {
  let args: SynthCliArgs | null;
  try {
    args = parseSynthArgs(argv);
  } catch (e) {
    stderr.write(`synth: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args === null) {
    stdout.write(USAGE);
    return 0;
  }
  const t0 = performance.now();
  let lastPct = -1;
  try {
    mkdirSync(dirname(args.out), { recursive: true });
    const res = writeSynthModelFile(args.out, args.options, {
      onProgress: (p) => {
        const pct = Math.floor((100 * p.bytesWritten) / p.totalBytes);
        if (pct >= lastPct + 5 || (p.tensorDone && p.tensorIndex === p.tensorCount - 1)) {
          lastPct = pct;
          const s = ((performance.now() - t0) / 1000).toFixed(1);
          stderr.write(
            `synth: ${String(pct).padStart(3)}%  ${(p.bytesWritten / 1e6).toFixed(1)} / ${(p.totalBytes / 1e6).toFixed(1)} MB` +
              `  tensor ${p.tensorIndex + 1}/${p.tensorCount} ${p.tensor}  ${s}s\n`,
          );
        }
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const summary = {
      out: args.out,
      preset: args.preset,
      arch: res.spec.options.arch,
      weightType: res.spec.options.weightType,
      embdType: res.spec.options.embdType,
      seed: res.spec.options.seed,
      tensors: res.spec.tensors.length,
      nVocab: res.spec.vocab.tokens.length,
      headerBytes: res.dataOffset,
      tensorBytes: res.spec.tensorBytes,
      fileBytes: res.bytes,
      seconds: Number(seconds.toFixed(2)),
    };
    stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } catch (e) {
    stderr.write(`synth: ${(e as Error).message}\n`);
    return e instanceof SynthError && e.code === 'bad_option' ? 2 : 1;
  }
}
