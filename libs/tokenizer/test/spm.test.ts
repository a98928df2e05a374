/**
 * SentencePiece-style tokenization from llama.cpp's real vocab-only GGUF (LLaMA, 32000 tokens): its 46 vocab-test
 * cases, the JSON copy, BOS / space-prefix handling, byte fallback, decoding and a War and Peace round trip.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '../src';
import { fixture, loadGguf, readVocabCases } from './helpers';

let tok: Tokenizer;
const warnings: string[] = [];

beforeAll(async () => {
  tok = Tokenizer.fromGguf(await loadGguf(fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-spm.gguf')), {
    onWarning: (m) => warnings.push(m),
  });
});

const cases = readVocabCases(
  fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-spm.gguf.inp'),
  fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-spm.gguf.out'),
);

it('reads the vocabulary and its special ids', () => {
  expect(tok.model).toBe('llama');
  expect(tok.vocabSize).toBe(32000);
  expect(tok.bosId).toBe(1);
  expect(tok.eosId).toBe(2);
  expect(tok.unkId).toBe(0);
  expect(tok.addBos).toBe(true);
  expect(tok.addSpacePrefix).toBe(true);
  expect(tok.isEog(2)).toBe(true);
  expect(tok.isEog(1)).toBe(false);
  expect(warnings).toEqual([]);
});

describe("llama.cpp's 46 SPM cases", () => {
  it('has 46 cases that agree with the JSON copy', () => {
    expect(cases).toHaveLength(46);
    const json = JSON.parse(readFileSync(fixture('third-party', 'llama-spm-tokenizer', 'llamacpp-llama-spm-cases.json'), 'utf8')) as {
      cases: { text: string; ids: number[] }[];
    };
    expect(json.cases).toEqual(cases);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i encodes to llama.cpp ids and decodes back', (_i, c) => {
    const ids = tok.encode(c.text, { addBos: false });
    expect(ids).toEqual(c.ids);
    expect(tok.decode(ids)).toBe(c.text);
  });
});

describe('BOS, space prefix and specials', () => {
  it('BOS by default; decode drops it and the prefix space', () => {
    const ids = tok.encode('Hello world');
    expect(ids[0]).toBe(1);
    expect(ids.slice(1)).toEqual(tok.encode('Hello world', { addBos: false }));
    expect(tok.decode(ids)).toBe('Hello world');
    expect(tok.encode('', { addBos: true })).toEqual([1]);
    expect(tok.encode('', { addBos: false })).toEqual([]);
  });

  it('with parseSpecial, </s> is the EOS id and the text after it gets a space prefix again', () => {
    const ids = tok.encode('Hi</s>there', { addBos: false, parseSpecial: true });
    expect(ids).toEqual([...tok.encode('Hi', { addBos: false }), 2, ...tok.encode('there', { addBos: false })]);
    const plain = tok.encode('Hi</s>there', { addBos: false });
    expect(plain).not.toContain(2);
    expect(tok.decode(plain)).toBe('Hi</s>there');
  });

  it('byte fallback: a character missing from the vocabulary becomes <0xXX> tokens and decodes back', () => {
    const text = '𒀀'; // U+12000 CUNEIFORM SIGN A: not a LLaMA token
    const ids = tok.encode(text, { addBos: false });
    const bytes = Array.from(new TextEncoder().encode(text));
    const hexTokens = ids.map((id) => tok.tokenText(id)).filter((t) => /^<0x[0-9A-F]{2}>$/.test(t));
    expect(hexTokens).toEqual(bytes.map((b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
    expect(tok.decode(ids)).toBe(text);
  });

  it('a streamed continuation keeps its leading space; a stream from the start drops it like decode()', () => {
    const ids = tok.encode(' world', { addBos: false }); // "▁▁world" or "▁" "▁world"
    const cont = tok.createStreamDecoder();
    expect(ids.map((id) => cont.push(id)).join('') + cont.flush()).toBe('  world');
    const fromStart = tok.createStreamDecoder({ stripLeadingSpace: true });
    expect(ids.map((id) => fromStart.push(id)).join('') + fromStart.flush()).toBe(tok.decode(ids));
  });
});

it('round trip over War and Peace', () => {
  const text = readFileSync(fixture('third-party', 'ollama', 'war-and-peace.txt'), 'utf8');
  const ids = tok.encode(text);
  expect(tok.decode(ids)).toBe(text);
}, 120_000);
