// The one error class of @bitnet-wasm/tools-models: every invalid option, shape or type combination
// the synthetic-model writers are asked for ends here, with a machine-readable `code`.

/** Machine-readable reason of a {@link SynthError}. */
export type SynthErrorCode =
  | 'bad_option' // an option value is out of range or inconsistent with another one
  | 'bad_shape' // a tensor shape cannot be encoded in the requested type (block size, element count)
  | 'unsupported_type' // a ggml type id this writer cannot produce for that tensor
  | 'bad_data' // an encoder/decoder got a buffer of the wrong length or an invalid code
  | 'vocab_unavailable'; // the llama3 vocabulary package could not be loaded

/** Error thrown by every function of this package on bad input. Message form: `"<what>: <why>"`. */
export class SynthError extends Error {
  override readonly name = 'SynthError';
  constructor(
    readonly code: SynthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
