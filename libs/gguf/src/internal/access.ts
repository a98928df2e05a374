/** Typed metadata getters, safe bigint conversion, and tensor-data access on a parsed GgufFile. */
import { GgufError, throwIfAborted } from './errors';
import type { GgufFile, GgufTensorInfo, GgufValue } from './parse';
import type { ByteSource } from './source';

/** Converts a number or bigint to a safe JS number; GgufError('limit_exceeded') if a bigint lies outside ±(2^53−1). */
export function toSafeNumber(v: number | bigint, what: string): number {
  if (typeof v === 'number') return v;
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new GgufError('limit_exceeded', `gguf: ${what} = ${v} does not fit a safe JS number`);
  }
  return Number(v);
}

function lookup(f: GgufFile, key: string): GgufValue | undefined {
  return Object.prototype.hasOwnProperty.call(f.metadata, key) ? f.metadata[key] : undefined;
}

function missing(key: string, want: string): GgufError {
  return new GgufError('bad_value', `gguf: metadata "${key}" is missing (expected ${want})`);
}

/** A string value; `dflt` when the key is absent. GgufError('bad_value') on a wrong type or a missing key without default. */
export function getString(f: GgufFile, key: string, dflt?: string): string {
  const v = lookup(f, key);
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw missing(key, 'a string');
  }
  if (typeof v !== 'string') throw new GgufError('bad_value', `gguf: metadata "${key}" is not a string`);
  return v;
}

/** Any integer or float value as a number (bigint converted with a safe-range check); `dflt` when absent. */
export function getNumber(f: GgufFile, key: string, dflt?: number): number {
  const v = lookup(f, key);
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw missing(key, 'a number');
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new GgufError('bad_value', `gguf: metadata "${key}" is not a number`);
  return toSafeNumber(v, `metadata "${key}"`);
}

/** A bool value; `dflt` when absent. */
export function getBool(f: GgufFile, key: string, dflt?: boolean): boolean {
  const v = lookup(f, key);
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw missing(key, 'a bool');
  }
  if (typeof v !== 'boolean') throw new GgufError('bad_value', `gguf: metadata "${key}" is not a bool`);
  return v;
}

/** An array value, or undefined when the key is absent; GgufError('bad_value') when present but not an array. */
export function getArray(f: GgufFile, key: string): GgufValue[] | undefined {
  const v = lookup(f, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new GgufError('bad_value', `gguf: metadata "${key}" is not an array`);
  return v;
}

/** The tensor info of that name; GgufError('bad_value') when absent. */
export function findTensor(file: GgufFile, name: string): GgufTensorInfo {
  const t = file.tensors.find((x) => x.name === name);
  if (!t) throw new GgufError('bad_value', `gguf: no tensor named "${name}"`);
  return t;
}

/** Tensor count per type name and the total element (parameter) count of a parsed file. */
export function tensorStats(file: GgufFile): { tensorTypes: Record<string, number>; parameterCount: number } {
  const tensorTypes: Record<string, number> = {};
  let parameterCount = 0;
  for (const t of file.tensors) {
    tensorTypes[t.typeName] = (tensorTypes[t.typeName] ?? 0) + 1;
    parameterCount += t.nElements;
  }
  return { tensorTypes, parameterCount };
}

/**
 * Reads one tensor's bytes ([absoluteOffset, +byteLength)). Use `tensor.absoluteOffset`/`byteLength` with
 * `source.readInto` to stream into WASM memory instead. GgufError('unsupported_tensor_type') for an unknown type id.
 */
export async function readTensorData(source: ByteSource, file: GgufFile, tensor: GgufTensorInfo | string, signal?: AbortSignal): Promise<Uint8Array> {
  throwIfAborted(signal);
  const t = typeof tensor === 'string' ? findTensor(file, tensor) : tensor;
  if (!t.typeKnown) {
    throw new GgufError('unsupported_tensor_type', `gguf: tensor "${t.name}" has type ${t.typeName} (${file.typeFamily} family); its data cannot be read`);
  }
  return source.read(t.absoluteOffset, t.byteLength, signal);
}

/**
 * Fills `target` (e.g. a view of WASM memory, exactly `byteLength` long) with one tensor's bytes, through the source's
 * zero-copy `readInto` when it has one. Same errors as {@link readTensorData}; GgufError('bad_value') on a size mismatch.
 */
export async function readTensorInto(source: ByteSource, file: GgufFile, tensor: GgufTensorInfo | string, target: Uint8Array, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  const t = typeof tensor === 'string' ? findTensor(file, tensor) : tensor;
  if (!t.typeKnown) {
    throw new GgufError('unsupported_tensor_type', `gguf: tensor "${t.name}" has type ${t.typeName} (${file.typeFamily} family); its data cannot be read`);
  }
  if (target.length !== t.byteLength) throw new GgufError('bad_value', `gguf: target holds ${target.length} bytes, tensor "${t.name}" has ${t.byteLength}`);
  if (source.readInto) {
    const n = await source.readInto(t.absoluteOffset, target, signal);
    if (n !== t.byteLength) throw new GgufError('truncated', `gguf: read ${n} of ${t.byteLength} bytes of tensor "${t.name}"`);
  } else target.set(await source.read(t.absoluteOffset, t.byteLength, signal));
}
