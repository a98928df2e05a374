/** Shared bits of the `bitnet` commands: option parsing helpers, the stderr progress bar, error exit codes. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  readonly code = 'usage';
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intOpt(v: string | undefined, name: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  return n;
}

export function numOpt(v: string | undefined, name: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

export function intList(v: string | undefined, name: string, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  return v.split(',').map((s) => intOpt(s.trim(), name)!);
}

export function headOpt(v: string | undefined): 'f16' | 'q8_0' | undefined {
  if (v === undefined) return undefined;
  if (v !== 'f16' && v !== 'q8_0') throw new UsageError(`--head must be f16 or q8_0, got "${v}"`);
  return v;
}

const mib = (b: number) => (b / 1024 ** 2).toFixed(1);

/** A one-line progress bar on stderr (only when stderr is a terminal, unless forced). */
export function progressBar(label: string, force = false): (p: { loadedBytes: number; totalBytes: number }) => void {
  const tty = process.stderr.isTTY || force;
  const t0 = Date.now();
  let last = 0;
  return ({ loadedBytes, totalBytes }) => {
    if (!tty) return;
    const now = Date.now();
    if (now - last < 100 && loadedBytes < totalBytes) return;
    last = now;
    const frac = totalBytes > 0 ? loadedBytes / totalBytes : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (now - t0) / 1000;
    const speed = secs > 0 ? loadedBytes / secs : 0;
    process.stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${mib(loadedBytes)}/${mib(totalBytes)} MiB ${mib(speed)} MiB/s`,
    );
    if (loadedBytes >= totalBytes) process.stderr.write('\n');
  };
}

/** Prints an error as `error [code]: message` and returns the exit code. */
export function reportError(e: unknown): number {
  const err = e as { code?: string; message?: string; name?: string };
  if (err instanceof UsageError) {
    process.stderr.write(`usage error: ${err.message}\n`);
    return 2;
  }
  const code = err?.code ?? err?.name ?? 'error';
  process.stderr.write(`error [${code}]: ${err?.message ?? String(e)}\n`);
  return 1;
}
