#!/usr/bin/env node
// Tokenizer benchmark (not a test): @bitnet-wasm/tokenizer vs llama3-tokenizer-js encode throughput on War and Peace,
// with an id-for-id comparison; prints JSON. Runnable without a build step: bundles src/tokenizer.ts with esbuild
// (workspace packages resolved to their TS sources) into dist/tokenizer.cjs, then runs it.
//   node tools/bench/bin/tokenizer.mjs [--model <gguf>] [--file <text>] [--reps 5]
import { buildSync } from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(projectDir, 'dist');
const outFile = join(outDir, 'tokenizer.cjs');
const tmpFile = join(outDir, `tokenizer.${process.pid}.tmp.cjs`);
mkdirSync(outDir, { recursive: true });
buildSync({
  entryPoints: [join(projectDir, 'src', 'tokenizer.ts')],
  outfile: tmpFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  conditions: ['@bitnet-wasm/source'],
  external: ['llama3-tokenizer-js'],
  sourcemap: 'inline',
  logLevel: 'warning',
});
renameSync(tmpFile, outFile);

const { main } = createRequire(import.meta.url)(outFile);
process.exitCode = await main(process.argv.slice(2));
