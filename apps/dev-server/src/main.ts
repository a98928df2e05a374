/**
 * Command line of the dev server: parses flags, builds the mount table (`/` → the built page,
 * `/wasm/` → the kernels, `/models/` → a models folder) and starts it. Bundled on the fly by
 * `bin/dev-server.cjs`, so it must only use Node built-ins and ./server.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDevServer, type DevServer, type Mount } from './server';

export interface CliOptions {
  port: number;
  host: string;
  root: string;
  wasm: string;
  models: string;
  isolation: boolean;
  verbose: boolean;
  /** Honour `?throttle=<bytes per second>` (for tests of progress, cancel and resume). */
  allowThrottle: boolean;
  /** Extra `PREFIX=DIR` mounts. */
  extraMounts: Mount[];
  help: boolean;
}

export const USAGE = `Usage: bitnet-dev-server [options]
  --port N          port to listen on (default: $PORT or 8080; 0 = any free port)
  --host H          interface to bind (default 127.0.0.1)
  --root DIR        the built page, served at /        (default apps/web/dist)
  --wasm DIR        the kernels, served at /wasm/      (default libs/kernels/dist/wasm)
  --models DIR      models, served at /models/         (default <repo>/models, created if missing)
  --mount P=DIR     serve DIR at URL prefix P as well (repeatable)
  --no-isolation    do not send COOP/COEP (page is not cross-origin isolated: single-thread fallback)
  --allow-throttle  honour ?throttle=<bytes per second> on file URLs (slow downloads for testing)
  --verbose         log every request
  -h, --help        this text`;

export class CliError extends Error {
  readonly code = 'bad_argument';
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Parses argv (without node and script) and the environment into options; repoRoot anchors defaults. */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, repoRoot: string): CliOptions {
  const o: CliOptions = {
    port: 8080,
    host: '127.0.0.1',
    root: resolve(repoRoot, 'apps/web/dist'),
    wasm: resolve(repoRoot, 'libs/kernels/dist/wasm'),
    models: resolve(repoRoot, 'models'),
    isolation: true,
    verbose: false,
    allowThrottle: false,
    extraMounts: [],
    help: false,
  };
  const parsePort = (s: string | undefined, what: string): number => {
    if (s === undefined || !/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new CliError(`${what} must be a port number 0..65535, got ${JSON.stringify(s)}`);
    return Number(s);
  };
  if (env.PORT !== undefined && env.PORT !== '') o.port = parsePort(env.PORT, 'PORT');
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
        o.port = parsePort(value(), '--port');
        break;
      case '--host':
        o.host = value();
        break;
      case '--root':
        o.root = resolve(value());
        break;
      case '--wasm':
        o.wasm = resolve(value());
        break;
      case '--models':
        o.models = resolve(value());
        break;
      case '--mount': {
        const v = value();
        const at = v.indexOf('=');
        if (at <= 0) throw new CliError(`--mount wants PREFIX=DIR, got ${JSON.stringify(v)}`);
        o.extraMounts.push({ prefix: v.slice(0, at), dir: resolve(v.slice(at + 1)) });
        break;
      }
      case '--no-isolation':
        o.isolation = false;
        break;
      case '--allow-throttle':
        o.allowThrottle = true;
        break;
      case '--verbose':
        o.verbose = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new CliError(`unknown argument ${JSON.stringify(raw)}`);
    }
  }
  return o;
}

/** The mount table for parsed options. */
export function mountsFor(o: CliOptions): Mount[] {
  return [{ prefix: '/', dir: o.root }, { prefix: '/wasm/', dir: o.wasm }, { prefix: '/models/', dir: o.models }, ...o.extraMounts];
}

/**
 * Runs the CLI: starts the server and prints its URL. Resolves with the running server (tests close
 * it), or undefined after --help. Throws CliError on bad arguments.
 */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  repoRoot: string = resolve(__dirname, '..', '..', '..'),
  out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Promise<DevServer | undefined> {
  const o = parseArgs(argv, env, repoRoot);
  if (o.help) {
    out(USAGE);
    return undefined;
  }
  mkdirSync(o.models, { recursive: true });
  for (const [what, dir, hint] of [
    ['page', o.root, 'npx nx run web:build'],
    ['wasm kernels', o.wasm, 'npx nx run kernels:build-wasm'],
  ] as const) {
    if (!existsSync(dir)) out(`dev-server: warning: the ${what} folder ${dir} does not exist yet (build it: ${hint})`);
  }
  const server = createDevServer({
    mounts: mountsFor(o),
    isolation: o.isolation,
    allowThrottle: o.allowThrottle,
    host: o.host,
    log: o.verbose ? (l) => out(l) : undefined,
  });
  const { url } = await server.listen(o.port);
  out(`dev-server: serving ${o.root} at / , ${o.wasm} at /wasm/ , ${o.models} at /models/`);
  out(`dev-server: cross-origin isolation ${o.isolation ? 'ON (COOP same-origin, COEP require-corp)' : 'OFF (--no-isolation)'}`);
  out(url);
  return server;
}
