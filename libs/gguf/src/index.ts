/**
 * @bitnet-wasm/gguf — isomorphic GGUF (v2/v3) reader and writer that understands the bitnet.cpp fork's tensor
 * types (I2_S, TL1, TL2) and rejects hostile input with a typed GgufError. Node file access: './node'.
 */
export { GgufError, type GgufErrorCode } from './internal/errors';
export {
  GgufValueType,
  GGML_TYPE,
  ggmlTypeInfo,
  ggmlTypeName,
  tensorByteLength,
  type GgmlTypeFamily,
  type GgmlTypeInfo,
} from './internal/types';
export { toByteSource, type ByteSource } from './internal/source';
export { httpByteSource, type HttpByteSourceOptions } from './internal/http';
export { parseGguf, type GgufValue, type GgufTensorInfo, type GgufFile, type ParseGgufOptions } from './internal/parse';
export { readTensorData, readTensorInto, findTensor, tensorStats, getString, getNumber, getBool, getArray, toSafeNumber } from './internal/access';
export { writeGguf, buildGgufHeader, type GgufWriteKV, type GgufWriteTensor, type GgufWriteSpec } from './internal/write';
export {
  DEFAULT_MAX_HEADER_BYTES,
  MAX_STRING_BYTES,
  MAX_KEY_BYTES,
  MAX_TENSOR_NAME_BYTES,
  MAX_ARRAY_ELEMENTS,
  MAX_KV_COUNT,
  MAX_TENSOR_COUNT,
  MAX_DIMS,
  DEFAULT_ALIGNMENT,
} from './internal/limits';
