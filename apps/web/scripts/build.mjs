#!/usr/bin/env node
// Builds the demo page into apps/web/dist: app.js (ES module, the page), worker.js (classic worker
// script, IIFE, because it loads the emscripten glue with importScripts), index.html and styles.css.
// Workspace packages are bundled from their TypeScript sources (the @bitnet-wasm/source condition).
// The wasm kernels and models are not copied: the dev server serves them at /wasm/ and /models/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const { BROWSER_BUNDLE_OPTIONS } = createRequire(import.meta.url)('../../../tools/scripts/bundle-ts.cjs');

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(app, 'src');
const out = join(app, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = BROWSER_BUNDLE_OPTIONS;
await Promise.all([
  build({ ...common, entryPoints: [join(src, 'app.ts')], outfile: join(out, 'app.js'), format: 'esm' }),
  build({ ...common, entryPoints: [join(src, 'worker.ts')], outfile: join(out, 'worker.js'), format: 'iife' }),
]);
for (const f of ['index.html', 'styles.css']) copyFileSync(join(src, f), join(out, f));
process.stdout.write(`web: built ${out}\n`);
