/** The runtime's one error class. Every failure the engine can foresee has a `code`. */
export type BitNetErrorCode =
  | 'unsupported_architecture' // general.architecture is not one this engine runs
  | 'bad_metadata' // a hyperparameter is missing, of the wrong type, or inconsistent
  | 'missing_tensor' // a tensor the graph needs is absent
  | 'bad_shape' // a tensor's shape does not match the hyperparameters
  | 'unsupported_type' // a tensor type the kernels cannot run (or not for that role)
  | 'does_not_fit' // the memory plan exceeds the limit
  | 'bad_option' // an option value is out of range
  | 'bad_input' // prompt/tokens invalid (empty, id out of range)
  | 'context_full' // the prompt plus generation would exceed the context length
  | 'busy' // a generation is already running on this model
  | 'disposed' // the model was disposed
  | 'aborted' // the AbortSignal fired (name is 'AbortError')
  | 'kernels' // the WebAssembly kernels failed (status code in the message)
  | 'load_failed'; // reading the file failed (cause attached)

export class BitNetError extends Error {
  override name: string = 'BitNetError';
  constructor(
    readonly code: BitNetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // DOM convention for cancellation: callers can test `err.name === 'AbortError'`.
    if (code === 'aborted') this.name = 'AbortError';
  }
}

export function abortError(what: string): BitNetError {
  return new BitNetError('aborted', `${what}: aborted`);
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(what);
}
