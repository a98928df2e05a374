#!/usr/bin/env node
// Tokenizer benchmark (not a test): @bitnet-wasm/tokenizer vs llama3-tokenizer-js encode throughput on War and Peace,
// with an id-for-id comparison; prints JSON. Runnable without a build step: bundles src/tokenizer.ts with esbuild
// (workspace packages resolved to their TS sources) into dist/tokenizer.cjs, then runs it.
//   node tools/bench/bin/tokenizer.mjs [--model <gguf>] [--file <text>] [--reps 5]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { requireTs } = createRequire(import.meta.url)('../../scripts/bundle-ts.cjs');
const { main } = requireTs({
  entry: join(projectDir, 'src', 'tokenizer.ts'),
  outFile: join(projectDir, 'dist', 'tokenizer.cjs'),
  external: ['llama3-tokenizer-js'],
});
process.exitCode = await main(process.argv.slice(2));
