#!/usr/bin/env node
// Entry point of the synthetic GGUF writer, runnable without a build step: bundles src/cli.ts with esbuild
// (platform node, CommonJS, workspace packages resolved to their TS sources) into dist/cli.cjs, then runs it.
// The bundle is written under a temporary name and renamed so two concurrent runs never read a half-written file.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { requireTs } = createRequire(import.meta.url)('../../scripts/bundle-ts.cjs');
const { main } = requireTs({
  entry: join(projectDir, 'src', 'cli.ts'),
  outFile: join(projectDir, 'dist', 'cli.cjs'),
  external: ['llama3-tokenizer-js'] /* 3 MB of baked data: loaded from node_modules at run time */,
});
process.exitCode = main(process.argv.slice(2));
