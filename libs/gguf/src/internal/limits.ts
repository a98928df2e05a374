/** Named limits of the parser, each with the reason it exists (hostile-input hardening, spec §1.7). */

/** Default cap on header bytes pulled from the source (metadata + tensor infos); a 128k-token vocab is ~8 MB, so 64 MiB is ample while bounding memory for a hostile header (CWE-400/CWE-789). */
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** First chunk the parser reads; the buffer then doubles as needed. Small models' headers fit in one read. */
export const INITIAL_CHUNK_BYTES = 1024 * 1024;

/** Longest string (key, value, array element): llama.cpp's GGUF_MAX_STRING_LENGTH of 1 GiB; also checked against the bytes that remain. */
export const MAX_STRING_BYTES = 1024 ** 3;

/** Longest metadata key: the GGUF spec limits keys to 65535 bytes. */
export const MAX_KEY_BYTES = 65535;

/** Longest tensor name: ggml's GGML_MAX_NAME is 64 including the NUL, so names are at most 63 bytes (as llama.cpp enforces). */
export const MAX_TENSOR_NAME_BYTES = 63;

/** Most elements in one metadata array: llama.cpp's GGUF_MAX_ARRAY_ELEMENTS (1 Gi); bounds the element loop before the remaining-bytes check. */
export const MAX_ARRAY_ELEMENTS = 1024 ** 3;

/** Most key/value records: real files have < 100; the bound keeps the record table allocation-safe even before the byte check. */
export const MAX_KV_COUNT = 1_000_000;

/** Most tensors: the largest public models have ~10^4 tensors; 10^6 bounds the tensor table (each entry is an object). */
export const MAX_TENSOR_COUNT = 1_000_000;

/** ggml tensors have at most 4 dimensions (GGML_MAX_DIMS). */
export const MAX_DIMS = 4;

/** Largest element count, tensor byte size, offset and total data size: JS numbers are exact only up to 2^53−1, so anything larger would silently lose precision. */
export const MAX_SAFE_BYTES = Number.MAX_SAFE_INTEGER;

/** Smallest possible key/value record: u64 key length + 1 key byte (keys are non-empty) + u32 type + 1 value byte. Used to check kv_count against the bytes that remain. */
export const MIN_KV_RECORD_BYTES = 8 + 1 + 4 + 1;

/** Smallest possible tensor-info record: u64 name length + u32 n_dims + u32 type + u64 offset (empty name, 0 dims). Used to check tensor_count against the bytes that remain. */
export const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

/** Default data alignment when `general.alignment` is absent (GGUF spec). */
export const DEFAULT_ALIGNMENT = 32;
