// Vocabulary tests: the `bytes` vocab's byte tokens against the oracle model's (written by gguf-py), its merges'
// consistency, and the llama3 vocab decoded from npm llama3-tokenizer-js against the fixture text files byte for byte.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { buildBytesVocab, buildLlama3Vocab, byteToUnicodeTable, TOKEN_TYPE } from './vocab';

const FIXTURES = process.env['BITNET_FIXTURES'] ?? '/work/shared/fixtures';

describe('bytes vocab', () => {
  const v = buildBytesVocab();

  it("byte tokens 0..255 are in the order of the oracle model's vocabulary (GPT-2 bytes_to_unicode)", async () => {
    const parsed = await gguf(join(FIXTURES, 'oracle', 'tiny-bitnet-b158-i2_s.gguf'), { allowLocalFile: true });
    const oracleTokens = (parsed.metadata as Record<string, unknown>)['tokenizer.ggml.tokens'] as string[];
    expect(v.tokens.slice(0, 256)).toEqual(oracleTokens.slice(0, 256));
    expect(byteToUnicodeTable()[0x20]).toBe('\u0120');
    expect(byteToUnicodeTable()[0x0a]).toBe('\u010a');
  });

  it('every merge joins two existing tokens into an existing token; merges are unique', () => {
    const ids = new Map(v.tokens.map((t, i) => [t, i]));
    expect(v.merges.length).toBe(61);
    expect(new Set(v.merges).size).toBe(v.merges.length);
    v.merges.forEach((m, rank) => {
      const sp = m.indexOf(' ', 1);
      expect(sp).toBeGreaterThan(0);
      const left = m.slice(0, sp);
      const right = m.slice(sp + 1);
      expect(ids.get(left)).toBeDefined();
      expect(ids.get(right)).toBeDefined();
      // a merge may only use tokens learned earlier
      const created = ids.get(left + right)!;
      expect(created).toBeGreaterThanOrEqual(256);
      expect(created).toBeLessThanOrEqual(256 + rank);
    });
    expect(new Set(v.tokens).size).toBe(v.tokens.length);
  });

  it('ends with three CONTROL specials: BOS, EOS, EOT', () => {
    const n = v.tokens.length;
    expect(v.tokens.slice(n - 3)).toEqual(['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>']);
    expect([v.bosId, v.eosId, v.eotId]).toEqual([n - 3, n - 2, n - 1]);
    expect(Array.from(v.tokenTypes.slice(n - 3))).toEqual([3, 3, 3].map(() => TOKEN_TYPE.CONTROL));
    expect(v.tokenTypes.slice(0, n - 3).every((t) => t === TOKEN_TYPE.NORMAL)).toBe(true);
    expect(v.model).toBe('gpt2');
    expect(v.pre).toBe('llama-bpe');
  });

  it('is deterministic and follows its options', () => {
    expect(buildBytesVocab()).toEqual(v);
    expect(buildBytesVocab({ merges: 5 }).merges).toEqual(v.merges.slice(0, 5));
    expect(buildBytesVocab({ merges: 0 }).tokens.length).toBe(259);
    expect(buildBytesVocab({ corpus: 'aaaa aaaa', merges: 100 }).merges.length).toBeLessThan(10);
    expect(() => buildBytesVocab({ merges: -1 })).toThrow(/merges/);
  });
});

describe('llama3 vocab (from npm llama3-tokenizer-js)', () => {
  const v = buildLlama3Vocab();
  const dir = join(FIXTURES, 'third-party', 'llama3-tokenizer');

  it('reproduces the fixture vocab and merges files byte for byte', () => {
    expect(v.tokens.length).toBe(128256);
    expect(v.merges.length).toBe(280147);
    const vocabText = v.tokens.map((t) => `${t}\n`).join('');
    const mergesText = v.merges.map((m) => `${m}\n`).join('');
    expect(Buffer.from(vocabText, 'utf8').equals(readFileSync(join(dir, 'llama3-vocab.txt')))).toBe(true);
    expect(Buffer.from(mergesText, 'utf8').equals(readFileSync(join(dir, 'llama3-merges.txt')))).toBe(true);
  });

  it('special ids and types are those of LLaMA-3', () => {
    expect([v.bosId, v.eosId, v.eotId]).toEqual([128000, 128001, 128009]);
    expect(v.tokenTypes[127999]).toBe(TOKEN_TYPE.NORMAL);
    expect(v.tokenTypes[128000]).toBe(TOKEN_TYPE.CONTROL);
    expect(v.tokenTypes[128255]).toBe(TOKEN_TYPE.CONTROL);
    expect(v.addBos).toBe(true);
    expect(v.pre).toBe('llama-bpe');
  });
});
