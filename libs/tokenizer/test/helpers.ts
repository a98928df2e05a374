/**
 * Test helpers: fixture paths, llama.cpp's .inp/.out vocab-test format, and a vocab-only LLaMA-3 GGUF built in memory
 * from the fixture vocab/merges text files with @bitnet-wasm/gguf's writer (then parsed back like a real file).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GgufValueType, parseGguf, writeGguf, type GgufFile } from '@bitnet-wasm/gguf';

export const FIXTURES = process.env.BITNET_FIXTURES ?? join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures');
export const fixture = (...p: string[]) => join(FIXTURES, ...p);

/** llama.cpp's vocab tests: inputs separated by a marker line; the .out has one line of ids per input. */
export function readVocabCases(inpPath: string, outPath: string): { text: string; ids: number[] }[] {
  const inputs = readFileSync(inpPath, 'utf8').split('\n__ggml_vocab_test__\n');
  if (inputs[inputs.length - 1] === '') inputs.pop();
  const outs = readFileSync(outPath, 'utf8').split('\n');
  if (outs[outs.length - 1] === '') outs.pop();
  if (inputs.length !== outs.length) throw new Error(`${inpPath}: ${inputs.length} inputs but ${outs.length} outputs`);
  return inputs.map((text, i) => ({
    text,
    ids: outs[i]!.trim() === '' ? [] : outs[i]!.trim().split(/\s+/).map(Number),
  }));
}

export async function loadGguf(path: string): Promise<GgufFile> {
  return parseGguf(new Uint8Array(readFileSync(path)));
}

/** The LLaMA-3 vocab as a vocab-only GGUF: ids ≥ 128000 CONTROL, the rest NORMAL; pre llama-bpe; bos/eos/eot from the llama.cpp vocab. */
export async function buildLlama3Gguf(extra: { key: string; type: GgufValueType; value: string | number | boolean }[] = []): Promise<GgufFile> {
  const dir = fixture('third-party', 'llama3-tokenizer');
  const tokens = readFileSync(join(dir, 'llama3-vocab.txt'), 'utf8').split('\n');
  if (tokens[tokens.length - 1] === '') tokens.pop();
  const merges = readFileSync(join(dir, 'llama3-merges.txt'), 'utf8').split('\n');
  if (merges[merges.length - 1] === '') merges.pop();
  const types = tokens.map((_, i) => (i >= 128000 ? 3 : 1));
  const bytes = writeGguf({
    metadata: [
      { key: 'general.architecture', type: GgufValueType.STRING, value: 'llama' },
      { key: 'tokenizer.ggml.model', type: GgufValueType.STRING, value: 'gpt2' },
      { key: 'tokenizer.ggml.pre', type: GgufValueType.STRING, value: 'llama-bpe' },
      { key: 'tokenizer.ggml.tokens', type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: tokens },
      { key: 'tokenizer.ggml.token_type', type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: types },
      { key: 'tokenizer.ggml.merges', type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: merges },
      { key: 'tokenizer.ggml.bos_token_id', type: GgufValueType.UINT32, value: 128000 },
      { key: 'tokenizer.ggml.eos_token_id', type: GgufValueType.UINT32, value: 128001 },
      { key: 'tokenizer.ggml.eot_token_id', type: GgufValueType.UINT32, value: 128009 },
      ...extra,
    ],
    tensors: [],
  });
  return parseGguf(bytes);
}
