/**
 * GPT-2 byte-level BPE from llama.cpp's real vocab-only GGUF (pre "gpt-2"): llama.cpp's expected ids for the 46
 * shared inputs; and the tiny oracle model's tokenizer (pre "llama-bpe") against llama-tokenize's output recorded
 * by bitnet.cpp.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '../src';
import { fixture, loadGguf, readVocabCases } from './helpers';

describe('ggml-vocab-gpt-2.gguf', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = Tokenizer.fromGguf(await loadGguf(fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-gpt-2.gguf')));
  });
  const cases = readVocabCases(
    fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-bpe.gguf.inp'),
    fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-gpt-2.gguf.out'),
  );

  it('is a gpt2 model with the gpt-2 pre-tokenizer and no default BOS', () => {
    expect(tok.model).toBe('gpt2');
    expect(tok.pre).toBe('gpt-2');
    expect(tok.vocabSize).toBe(50257);
    expect(tok.addBos).toBe(false);
    expect(cases).toHaveLength(46);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i matches llama.cpp', (_i, c) => {
    const ids = tok.encode(c.text);
    expect(ids).toEqual(c.ids);
    expect(tok.decode(ids)).toBe(c.text);
  });
});

describe('the oracle model (bitnet.cpp llama-tokenize examples)', () => {
  it('matches every recorded example', async () => {
    const tok = Tokenizer.fromGguf(await loadGguf(fixture('oracle', 'tiny-bitnet-b158-i2_s.gguf')));
    const oracle = JSON.parse(readFileSync(fixture('oracle', 'tiny.oracle.json'), 'utf8')) as {
      tokenizer_examples: Record<string, number[]>;
      hparams: { bos_id: number; eos_id: number; add_bos: boolean };
    };
    expect(tok.bosId).toBe(oracle.hparams.bos_id);
    expect(tok.eosId).toBe(oracle.hparams.eos_id);
    expect(tok.addBos).toBe(oracle.hparams.add_bos);
    const examples = Object.entries(oracle.tokenizer_examples);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [text, ids] of examples) {
      expect(tok.encode(text)).toEqual(ids);
      expect(tok.decode(ids)).toBe(text);
    }
  });
});
