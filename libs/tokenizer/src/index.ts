/**
 * @bitnet-wasm/tokenizer — exact llama.cpp-compatible tokenizers built from GGUF metadata: LLaMA-3 / GPT-2 byte-level
 * BPE and SentencePiece, with special-token parsing, a streaming UTF-8-safe detokenizer and chat formatting.
 */
export { TokenizerError, type TokenizerErrorCode } from './internal/errors';
export {
  Tokenizer,
  type EncodeOptions,
  type DecodeOptions,
  type StreamDecoder,
  type StreamDecoderOptions,
  type ChatOptions,
  type TokenizerOptions,
} from './internal/tokenizer';
export type { ChatMessage } from './internal/chat';
