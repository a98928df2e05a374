/**
 * @bitnet-wasm/kernels/node — loads the kernels built into `dist/wasm` from Node.js.
 * The glue is plain CommonJS-compatible emscripten output, loaded with `require`; the wasm bytes
 * are read from disk and handed over (Node's global fetch cannot read file paths).
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createKernels, wasmFileNames, type Kernels, type KernelsFlavor, type EmscriptenFactory } from './internal/loader';
import { KernelsError } from './internal/errors';

export * from './index';

/** Directory holding bitnet-{st,mt}.{js,wasm}: $BITNET_WASM_DIR, else this package's dist/wasm. */
export function nodeWasmDir(): string {
  if (process.env.BITNET_WASM_DIR) return process.env.BITNET_WASM_DIR;
  const req = createRequire(join(process.cwd(), 'index.js'));
  let pkgDir: string;
  try {
    pkgDir = dirname(req.resolve('@bitnet-wasm/kernels/package.json'));
  } catch {
    pkgDir = join(__dirname, '..');
  }
  return join(pkgDir, 'dist', 'wasm');
}

export interface LoadNodeKernelsOptions {
  /** @default 'st' when threads <= 1, else 'mt' */
  flavor?: KernelsFlavor;
  /** Total threads (calling thread included) for the 'mt' flavour. @default 1 */
  threads?: number;
  /** Override the directory with the built files. */
  dir?: string;
}

export async function loadNodeKernels(opts: LoadNodeKernelsOptions = {}): Promise<Kernels> {
  const threads = opts.threads ?? 1;
  const flavor = opts.flavor ?? (threads > 1 ? 'mt' : 'st');
  const dir = opts.dir ?? nodeWasmDir();
  const names = wasmFileNames(flavor);
  const gluePath = join(dir, names.glue);
  if (!existsSync(gluePath)) {
    throw new KernelsError('load_failed', `kernels not built: ${gluePath} is missing (run: npx nx run kernels:build-wasm)`);
  }
  const req = createRequire(gluePath);
  const factory = req(gluePath) as EmscriptenFactory;
  return createKernels(factory, {
    flavor,
    threads,
    wasmBinary: readFileSync(join(dir, names.wasm)),
    locateFile: (f: string) => join(dir, f),
    mainScriptUrlOrBlob: gluePath,
  });
}
