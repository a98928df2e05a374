#!/usr/bin/env node
// Entry point of the dev server, runnable without a build step: bundles src/main.ts with esbuild
// (platform node, CommonJS) into dist/main.cjs, then runs it. The bundle is written to a temporary
// name and renamed, so two servers starting at once (e.g. Playwright's two web servers) never read a
// half-written file.
'use strict';
const { join } = require('node:path');
const { requireTs } = require('../../../tools/scripts/bundle-ts.cjs');

const appDir = join(__dirname, '..');
const { main } = requireTs({ entry: join(appDir, 'src', 'main.ts'), outFile: join(appDir, 'dist', 'main.cjs') });
main(process.argv.slice(2), process.env, join(appDir, '..', '..')).then(
  (server) => {
    if (!server) return;
    const stop = () => server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (e) => {
    process.stderr.write(`dev-server: ${e && e.message ? e.message : e}\n`);
    if (e && e.code === 'bad_argument') process.stderr.write('run with --help for the options\n');
    process.exit(e && e.code === 'bad_argument' ? 2 : 1);
  },
);
