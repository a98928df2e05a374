#!/usr/bin/env node
// GGUF header-parse benchmark (not a test): @bitnet-wasm/gguf vs @huggingface/gguf on a 128k-token vocabulary GGUF;
// prints JSON with the ratio. Runnable without a build step: bundles src/gguf-parse.ts with esbuild (workspace
// packages resolved to their TS sources) into dist/gguf-parse.cjs, then runs it.
//   node tools/bench/bin/gguf-parse.mjs [--reps 7] [--fixtures <dir>]
import { buildSync } from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(projectDir, 'dist');
const outFile = join(outDir, 'gguf-parse.cjs');
const tmpFile = join(outDir, `gguf-parse.${process.pid}.tmp.cjs`);
mkdirSync(outDir, { recursive: true });
buildSync({
  entryPoints: [join(projectDir, 'src', 'gguf-parse.ts')],
  outfile: tmpFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  conditions: ['@bitnet-wasm/source'],
  external: ['@huggingface/gguf'], // the reference is loaded as published, from node_modules
  sourcemap: 'inline',
  logLevel: 'warning',
});
renameSync(tmpFile, outFile);

const { main } = createRequire(import.meta.url)(outFile);
process.exitCode = await main(process.argv.slice(2));
