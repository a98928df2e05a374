#!/usr/bin/env node
// Builds one library for publishing: ESM + CJS bundles of each entry in its package.json `exports`
// (workspace dependencies stay external) and .d.ts files from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2]);
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const entries = Object.values(pkg.exports)
  .filter((v) => typeof v === 'object' && v['@bitnet-wasm/source'])
  .map((v) => join(dir, v['@bitnet-wasm/source']));
const external = [...Object.keys(pkg.dependencies ?? {}), 'node:*'];
// dist/wasm (kernels) is another target's output: overwrite bundles in place, never wipe dist.
for (const [format, ext] of [['esm', '.js'], ['cjs', '.cjs']]) {
  await build({ entryPoints: entries, outdir: join(dir, 'dist'), bundle: true, format, platform: 'neutral', target: 'es2022', outExtension: { '.js': ext }, external, sourcemap: true, logLevel: 'warning' });
}
// Declarations of src/ only: the library's tsconfig also includes its tests (type-checked, never published),
// which lie outside the rootDir of the declarations. A temporary config beside it narrows the inputs.
const declConfig = join(dir, 'tsconfig.decl.tmp.json');
writeFileSync(declConfig, JSON.stringify({ extends: './tsconfig.json', include: ['src/**/*.ts'], exclude: ['src/**/*.test.ts'] }));
try {
  execFileSync(join(dir, '..', '..', 'node_modules', '.bin', 'tsc'), ['-p', declConfig, '--noEmit', 'false', '--emitDeclarationOnly', '--declaration', '--outDir', join(dir, 'dist'), '--rootDir', join(dir, 'src')], { stdio: 'inherit' });
} finally {
  rmSync(declConfig, { force: true });
}
