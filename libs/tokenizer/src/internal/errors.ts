/** The one error class of @bitnet-wasm/tokenizer and its code union. */

/** What went wrong, as a stable string (switch on this, not on the message). */
export type TokenizerErrorCode = 'missing_key' | 'bad_vocab' | 'bad_merges' | 'unknown_model' | 'bad_token_id' | 'template';

/**
 * Every failure of this package is a `TokenizerError` with a `code`: bad or missing tokenizer metadata, a token id
 * outside the vocabulary, or a chat template that does not render. The original error, if any, is in `cause`.
 */
export class TokenizerError extends Error {
  readonly code: TokenizerErrorCode;
  constructor(code: TokenizerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, 'name', { value: 'TokenizerError', enumerable: false, configurable: true, writable: true });
  }
}
