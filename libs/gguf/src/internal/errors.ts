/** The one error class of @bitnet-wasm/gguf and its code union. */

/** What went wrong, as a stable string (switch on this, not on the message). */
export type GgufErrorCode =
  | 'bad_magic'
  | 'unsupported_version'
  | 'byte_order'
  | 'truncated'
  | 'limit_exceeded'
  | 'bad_type'
  | 'bad_value'
  | 'out_of_bounds'
  | 'duplicate'
  | 'bad_alignment'
  | 'overlap'
  | 'aborted'
  | 'io'
  | 'unsupported_tensor_type';

/**
 * Every failure of this package (bad input, I/O, cancellation) is a `GgufError` with a `code`.
 * `name` is always `'GgufError'`, also for `code: 'aborted'`; the original error, if any, is in `cause`.
 */
export class GgufError extends Error {
  readonly code: GgufErrorCode;
  constructor(code: GgufErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, 'name', { value: 'GgufError', enumerable: false, configurable: true, writable: true });
  }
}

/** Throws GgufError('aborted') when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GgufError('aborted', 'gguf: operation aborted', { cause: signal.reason });
}
