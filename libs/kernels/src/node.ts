/**
 * @bitnet-wasm/kernels/node — loads the kernels built into `dist/wasm` from Node.js.
 * The glue is plain CommonJS-compatible emscripten output, loaded with `require`; the wasm bytes
 * are read from disk and handed over (Node's global fetch cannot read file paths).
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createKernels, wasmFileNames, baseFlavor, relaxedFlavor, type Kernels, type KernelsFlavor, type EmscriptenFactory } from './internal/loader';
import { hasRelaxedSimd } from './internal/features';
import { KernelsError } from './internal/errors';

export * from './index';

/** Directory holding bitnet-{st,mt,st-rx,mt-rx}.{js,wasm}: $BITNET_WASM_DIR, else this package's dist/wasm. */
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
  /**
   * 'st'/'mt' (SIMD128, upgraded to 'st-rx'/'mt-rx' when `relaxed` allows and that build validates
   * here), or an explicit relaxed flavour (an error when it is missing or does not validate).
   * @default 'st' when threads <= 1, else 'mt'
   */
  flavor?: KernelsFlavor;
  /** Total threads (calling thread included) for the threaded flavours. @default 1 */
  threads?: number;
  /** Override the directory with the built files. */
  dir?: string;
  /**
   * Prefer the relaxed-SIMD build ('-rx') when it was built and `WebAssembly.validate` accepts it in
   * this process (Node 20: only with --experimental-wasm-relaxed-simd); false forces SIMD128.
   * @default true
   */
  relaxed?: boolean;
}

/**
 * The flavour loadNodeKernels would load for these options: the '-rx' variant when preferred, built
 * and valid in this process, else the SIMD128 one.
 */
export function chooseNodeFlavor(opts: LoadNodeKernelsOptions = {}): KernelsFlavor {
  const threads = opts.threads ?? 1;
  const flavor = opts.flavor ?? (threads > 1 ? 'mt' : 'st');
  if (flavor !== baseFlavor(flavor) || opts.relaxed === false) return flavor;
  const rx = relaxedFlavor(flavor);
  const wasmPath = join(opts.dir ?? nodeWasmDir(), wasmFileNames(rx).wasm);
  if (!hasRelaxedSimd() || !existsSync(wasmPath)) return flavor;
  return WebAssembly.validate(readFileSync(wasmPath)) ? rx : flavor;
}

export async function loadNodeKernels(opts: LoadNodeKernelsOptions = {}): Promise<Kernels> {
  const threads = opts.threads ?? 1;
  const dir = opts.dir ?? nodeWasmDir();
  const flavor = chooseNodeFlavor({ ...opts, dir });
  const names = wasmFileNames(flavor);
  const gluePath = join(dir, names.glue);
  if (!existsSync(gluePath)) {
    const hint = flavor === baseFlavor(flavor) ? '' : ' (the relaxed-SIMD flavours need clang-19 at build time)';
    throw new KernelsError('load_failed', `kernels not built: ${gluePath} is missing (run: npx nx run kernels:build-wasm)${hint}`);
  }
  const wasmBinary = readFileSync(join(dir, names.wasm));
  if (flavor !== baseFlavor(flavor) && !WebAssembly.validate(wasmBinary)) {
    throw new KernelsError('load_failed', `${names.wasm} does not validate in this engine (relaxed SIMD; Node 20 needs --experimental-wasm-relaxed-simd)`);
  }
  const req = createRequire(gluePath);
  const factory = req(gluePath) as EmscriptenFactory;
  return createKernels(factory, {
    flavor,
    threads,
    wasmBinary,
    locateFile: (f: string) => join(dir, f),
    mainScriptUrlOrBlob: gluePath,
  });
}
