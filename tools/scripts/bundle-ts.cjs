// Shared esbuild settings of the repo's scripts. requireTs runs a TypeScript entry without a build step, for the repo's bins (bitnet, the dev server, synth, the
// benchmarks): bundles it with esbuild (platform node, CommonJS, workspace packages resolved to their TS
// sources) into `outFile` and returns `require(outFile)`. The bundle is written under a temporary name and
// renamed, so two processes starting at once never read a half-written file.
'use strict';
const { buildSync } = require('esbuild');
const { mkdirSync, renameSync } = require('node:fs');
const { dirname } = require('node:path');

/**
 * @param {{ entry: string, outFile: string, external?: string[] }} opts
 *   external: packages loaded from node_modules at run time instead of being bundled
 */
function requireTs({ entry, outFile, external = [] }) {
  mkdirSync(dirname(outFile), { recursive: true });
  const tmpFile = `${outFile}.${process.pid}.tmp.cjs`;
  buildSync({
    entryPoints: [entry],
    outfile: tmpFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['@bitnet-wasm/source'],
    external,
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  renameSync(tmpFile, outFile);
  return require(outFile);
}

/** esbuild options for the browser bundles (the demo page and the benchmark page): workspace packages
 * from their TypeScript sources, ES2022, linked source maps. Add entryPoints, outfile and format. */
const BROWSER_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  conditions: ['@bitnet-wasm/source'],
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
});

module.exports = { requireTs, BROWSER_BUNDLE_OPTIONS };
