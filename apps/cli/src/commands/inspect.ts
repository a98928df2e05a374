/**
 * `bitnet inspect <file.gguf | URL> [--json]`: a GGUF header at a glance — version, alignment, architecture,
 * metadata (long arrays abbreviated in text mode, complete with --json; bigints as decimal strings), the tensor table
 * and totals by type. URLs are read with HTTP Range requests, so only the header is downloaded.
 */
import { parseArgs } from 'node:util';
import { GgufValueType, httpByteSource, parseGguf, type ByteSource, type GgufFile, type GgufValue } from '@bitnet-wasm/gguf';
import { openFileSource } from '@bitnet-wasm/gguf/node';

// Self-contained (usage errors exit 2, other errors print `error [code]: message` and exit 1), like the other commands.
const USAGE = 'usage: bitnet inspect <file.gguf | URL> [--json]\n';

/** Array elements shown in text mode before "… (N more)". */
const TEXT_ARRAY_ITEMS = 8;
/** Longest string shown in full in text mode (chat templates run to kilobytes). */
const TEXT_STRING_CHARS = 120;

function typeLabel(f: GgufFile, key: string): string {
  const t = f.metadataTypes[key];
  if (!t) return '?';
  if (t.type === GgufValueType.ARRAY) return `${GgufValueType[t.arrayType ?? 0]}[${(f.metadata[key] as GgufValue[]).length}]`;
  return GgufValueType[t.type] ?? String(t.type);
}

/** Shortest decimal that reads back as the same float32 (so 1e-5 prints as 0.00001, not 0.0000099999997…). */
function f32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function scalarText(v: GgufValue, float32 = false): string {
  if (typeof v === 'number' && float32) return f32Text(v);
  if (typeof v === 'string') {
    const s = v.length > TEXT_STRING_CHARS ? `${v.slice(0, TEXT_STRING_CHARS)}… (${v.length} chars)` : v;
    return JSON.stringify(s);
  }
  return String(v);
}

function valueText(v: GgufValue, float32: boolean): string {
  if (!Array.isArray(v)) return scalarText(v, float32);
  const shown = v.slice(0, TEXT_ARRAY_ITEMS).map((x) => scalarText(x, float32)).join(', ');
  return v.length > TEXT_ARRAY_ITEMS ? `[${shown}, … (${v.length - TEXT_ARRAY_ITEMS} more)]` : `[${shown}]`;
}

function totalsByType(f: GgufFile): Record<string, { tensors: number; elements: number; bytes: number }> {
  const out: Record<string, { tensors: number; elements: number; bytes: number }> = {};
  for (const t of f.tensors) {
    const e = (out[t.typeName] ??= { tensors: 0, elements: 0, bytes: 0 });
    e.tensors++;
    e.elements += t.nElements;
    e.bytes += t.byteLength;
  }
  return out;
}

function table(rows: string[][], rightAlign: number[] = []): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (rightAlign.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

/** Text report. */
export function formatInspect(f: GgufFile, name: string): string {
  const lines: string[] = [];
  lines.push(`file: ${name}${f.fileSize !== undefined ? ` (${f.fileSize} bytes)` : ''}`);
  lines.push(`GGUF v${f.version}, alignment ${f.alignment}, architecture ${f.architecture ?? '(none)'}, type family ${f.typeFamily}`);
  lines.push(`header ${f.headerBytes} bytes, tensor data at ${f.tensorDataOffset}`);
  const keys = Object.keys(f.metadata);
  lines.push('', `metadata (${keys.length}):`);
  if (keys.length) lines.push(table(keys.map((k) => [k, typeLabel(f, k), valueText(f.metadata[k]!, (f.metadataTypes[k]?.arrayType ?? f.metadataTypes[k]?.type) === GgufValueType.FLOAT32)])));
  lines.push('', `tensors (${f.tensors.length}):`);
  if (f.tensors.length) {
    const rows = [['name', 'type', 'shape', 'offset', 'bytes']];
    for (const t of f.tensors) rows.push([t.name, t.typeName, `[${t.shape.join(', ')}]`, String(t.offset), String(t.byteLength)]);
    lines.push(table(rows, [3, 4]));
    const totals = totalsByType(f);
    const trow = [['type', 'tensors', 'elements', 'bytes']];
    let n = 0;
    let b = 0;
    for (const [ty, v] of Object.entries(totals)) {
      trow.push([ty, String(v.tensors), String(v.elements), String(v.bytes)]);
      n += v.tensors;
      b += v.bytes;
    }
    trow.push(['total', String(n), String(f.tensors.reduce((a, t) => a + t.nElements, 0)), String(b)]);
    lines.push('', 'totals by type:', table(trow, [1, 2, 3]));
  }
  return lines.join('\n') + '\n';
}

/** JSON report: every value complete; bigints as decimal strings, non-finite floats as "NaN"/"Infinity"/"-Infinity". */
export function inspectJson(f: GgufFile, name: string): string {
  const metadata: Record<string, { type: string; arrayType?: string; value: GgufValue }> = {};
  for (const k of Object.keys(f.metadata)) {
    const t = f.metadataTypes[k]!;
    metadata[k] = { type: GgufValueType[t.type]!, ...(t.arrayType !== undefined ? { arrayType: GgufValueType[t.arrayType] } : {}), value: f.metadata[k]! };
  }
  const doc = {
    file: name,
    fileSize: f.fileSize ?? null,
    version: f.version,
    alignment: f.alignment,
    architecture: f.architecture ?? null,
    typeFamily: f.typeFamily,
    headerBytes: f.headerBytes,
    tensorDataOffset: f.tensorDataOffset,
    metadata,
    tensors: f.tensors,
    totalsByType: totalsByType(f),
  };
  return (
    JSON.stringify(doc, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    }) + '\n'
  );
}

/** Runs `bitnet inspect`; resolves to the exit code. */
export async function inspectCommand(argv: string[]): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (e) {
    process.stderr.write(`usage error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`usage error: expected one file or URL\n${USAGE}`);
    return 2;
  }
  const target = positionals[0]!;
  let src: ByteSource | undefined;
  try {
    src = /^https?:\/\//i.test(target) ? httpByteSource(target) : await openFileSource(target);
    const f = await parseGguf(src);
    process.stdout.write(values.json ? inspectJson(f, target) : formatInspect(f, target));
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string; name?: string };
    process.stderr.write(`error [${err?.code ?? err?.name ?? 'error'}]: ${err?.message ?? String(e)}\n`);
    return 1;
  } finally {
    await src?.close?.().catch(() => undefined);
  }
}
