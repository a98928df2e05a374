#!/usr/bin/env node
// Entry point of the synthetic GGUF writer, runnable without a build step: bundles src/cli.ts with esbuild
// (platform node, CommonJS, workspace packages resolved to their TS sources) into dist/cli.cjs, then runs it.
// The bundle is written under a temporary name and renamed so two concurrent runs never read a half-written file.
import { buildSync } from 'esbuild';
import { mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(projectDir, 'dist');
const outFile = join(outDir, 'cli.cjs');
const tmpFile = join(outDir, `cli.${process.pid}.tmp.cjs`);
mkdirSync(outDir, { recursive: true });
buildSync({
  entryPoints: [join(projectDir, 'src', 'cli.ts')],
  outfile: tmpFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  conditions: ['@bitnet-wasm/source'],
  external: ['llama3-tokenizer-js'], // 3 MB of baked data: loaded from node_modules at run time
  sourcemap: 'inline',
  logLevel: 'warning',
});
renameSync(tmpFile, outFile);

const { main } = createRequire(import.meta.url)(outFile);
process.exitCode = main(process.argv.slice(2));
