#!/usr/bin/env node
// GGUF header-parse benchmark (not a test): @bitnet-wasm/gguf vs @huggingface/gguf on a 128k-token vocabulary GGUF;
// prints JSON with the ratio. Runnable without a build step: bundles src/gguf-parse.ts with esbuild (workspace
// packages resolved to their TS sources) into dist/gguf-parse.cjs, then runs it.
//   node tools/bench/bin/gguf-parse.mjs [--reps 7] [--fixtures <dir>]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { requireTs } = createRequire(import.meta.url)('../../scripts/bundle-ts.cjs');
const { main } = requireTs({
  entry: join(projectDir, 'src', 'gguf-parse.ts'),
  outFile: join(projectDir, 'dist', 'gguf-parse.cjs'),
  external: ['@huggingface/gguf'] /* the reference is loaded as published */,
});
process.exitCode = await main(process.argv.slice(2));
