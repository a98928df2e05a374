/**
 * LLaMA-3 byte-level BPE against independent references: llama.cpp's 46 vocab-test cases (vocab-only GGUF built from
 * the fixture vocab/merges), the same cases as JSON, llama3-tokenizer-js on extra texts, and a round trip over
 * War and Peace. Also special-token parsing, the end-of-generation set, streaming and chat formatting.
 */
import { readFileSync } from 'node:fs';
import type { GgufFile } from '@bitnet-wasm/gguf';
import { Tokenizer } from '../src';
import { buildLlama3Gguf, fixture, readVocabCases } from './helpers';

const { llama3Tokenizer: reference } = require('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as {
  llama3Tokenizer: { encode(text: string, opts?: { bos?: boolean; eos?: boolean }): number[]; decode(ids: number[]): string };
};

let file: GgufFile;
let tok: Tokenizer;

beforeAll(async () => {
  file = await buildLlama3Gguf();
  tok = Tokenizer.fromGguf(file);
}, 120_000);

const cases = readVocabCases(
  fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-bpe.gguf.inp'),
  fixture('third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-bpe.gguf.out'),
);

describe('construction from a vocab-only GGUF', () => {
  it('reads model, pre, size and special ids from the metadata', () => {
    expect(file.tensors).toHaveLength(0);
    expect(tok.model).toBe('gpt2');
    expect(tok.pre).toBe('llama-bpe');
    expect(tok.vocabSize).toBe(128256);
    expect(tok.bosId).toBe(128000);
    expect(tok.eosId).toBe(128001);
    expect(tok.eotId).toBe(128009);
    expect(tok.addBos).toBe(true); // llama.cpp's default for llama-bpe when add_bos_token is absent
    expect(tok.tokenText(128009)).toBe('<|eot_id|>');
  });

  it('end of generation: eos, eot and the known end markers', () => {
    expect(tok.isEog(128001)).toBe(true);
    expect(tok.isEog(128009)).toBe(true);
    expect(tok.isEog(128000)).toBe(false);
    expect(tok.isEog(15339)).toBe(false);
    // <|eom_id|> (128008 in the 3.1 vocab file) is a known end marker when present
    const eom = tok.tokenText(128008) === '<|eom_id|>';
    expect(tok.isEog(128008)).toBe(eom);
  });
});

describe("llama.cpp's 46 llama-bpe cases", () => {
  it('has 46 cases that agree with the JSON copy', () => {
    expect(cases).toHaveLength(46);
    const json = JSON.parse(readFileSync(fixture('third-party', 'llama3-tokenizer', 'llamacpp-llama-bpe-cases.json'), 'utf8')) as {
      cases: { text: string; ids: number[] }[];
    };
    expect(json.cases.map((c) => c.text)).toEqual(cases.map((c) => c.text));
    expect(json.cases.map((c) => c.ids)).toEqual(cases.map((c) => c.ids));
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i encodes to llama.cpp ids and decodes back', (_i, c) => {
    const ids = tok.encode(c.text, { addBos: false });
    expect(ids).toEqual(c.ids);
    expect(tok.decode(ids)).toBe(c.text);
  });

  it('adds BOS by default and decode drops it', () => {
    const ids = tok.encode('Hello world');
    expect(ids[0]).toBe(128000);
    expect(ids.slice(1)).toEqual(tok.encode('Hello world', { addBos: false }));
    expect(tok.decode(ids)).toBe('Hello world');
    expect(tok.decode(ids, { skipSpecial: false })).toBe('<|begin_of_text|>Hello world');
  });
});

describe('extra texts checked against llama3-tokenizer-js', () => {
  const extra: [string, string][] = [
    ['long prose', readFileSync(fixture('third-party', 'ollama', 'war-and-peace.txt'), 'utf8').slice(100_000, 120_000)],
    ['CJK', '日本語のテキストと中文文本，还有한국어 문장도 있습니다。東京タワー'],
    ['emoji ZWJ sequences', '👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👩🏽‍💻 coder, 🇯🇵🇫🇷 flags, ❤️‍🔥'],
    ['Arabic', 'مرحبا بالعالم، هذه جملة عربية مع أرقام ١٢٣٤٥ وعلامات ترقيم؟'],
    ['Devanagari', 'नमस्ते दुनिया, यह एक हिंदी वाक्य है। क्षत्रिय ज्ञान'],
    ['combining marks', 'e\u0301te\u0301 cafe\u0301 n\u0303 Z\u0351\u0362a\u0337\u0321l\u0334g\u0358o\u0360 a\u030a'],
    ['digit runs', '1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 ٣٤٥٦ ①②③ ½¾'],
    ['whitespace runs', 'a  b   c    d\t\te \t f\n\n\ng \n \n h      \n\ti  \u00a0 j\u3000k  '],
    ['CRLF', 'line one\r\nline two\r\n\r\n  indented\r\n\tend\r\n'],
    ['special-looking text', 'a <|begin_of_text|> b <|eot_id|>c<|start_header_id|>user<|end_header_id|> <|reserved_special_token_5|>'],
    ['contractions', "I'm you're he's we've they'll she'd DON'T IT'S We'Re 'tis"],
    ['code', 'function f(x) {\n    return x.map((y) => y ** 2).filter(Boolean);\n}\n// end\n'],
    ['mixed scripts', 'Ελληνικά кириллица עברית ภาษาไทย ქართული Հայերեն'],
  ];

  it.each(extra)('%s', (_name, text) => {
    const want = reference.encode(text, { bos: false, eos: false });
    // llama3-tokenizer-js always turns special-token texts into their ids: compare with parseSpecial
    expect(tok.encode(text, { addBos: false, parseSpecial: true })).toEqual(want);
    expect(tok.decode(want)).toBe(text.replace(/<\|[a-z_0-9]+\|>/g, ''));
    expect(tok.decode(want, { skipSpecial: false })).toBe(text);
  });
});

describe('special tokens', () => {
  it('<|eot_id|> is a control id with parseSpecial and plain text without', () => {
    const withSpecial = tok.encode('Hi<|eot_id|>', { addBos: false, parseSpecial: true });
    expect(withSpecial[withSpecial.length - 1]).toBe(128009);
    const plain = tok.encode('Hi<|eot_id|>', { addBos: false });
    expect(plain).not.toContain(128009);
    expect(plain.every((id) => id < 128000)).toBe(true);
    expect(tok.decode(plain)).toBe('Hi<|eot_id|>');
  });

  it('tokenBytes renders control tokens only when asked', () => {
    expect(tok.tokenBytes(128009)).toHaveLength(0);
    expect(new TextDecoder().decode(tok.tokenBytes(128009, { special: true }))).toBe('<|eot_id|>');
    expect(Array.from(tok.tokenBytes(tok.encode(' ', { addBos: false })[0]!))).toEqual([0x20]);
  });
});

describe('round trip over War and Peace', () => {
  it('decode(encode(x)) === x', () => {
    const text = readFileSync(fixture('third-party', 'ollama', 'war-and-peace.txt'), 'utf8');
    const ids = tok.encode(text);
    expect(ids[0]).toBe(128000);
    expect(tok.decode(ids)).toBe(text);
  }, 60_000);
});

describe('streaming detokenizer', () => {
  it('never emits U+FFFD for characters split over tokens, and matches decode()', () => {
    const text = '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👨‍👩‍👧‍👦 ꙮ 𓀀𓁐 鿿 Ꙭ';
    const ids = tok.encode(text, { addBos: false });
    // at least one token must hold an incomplete UTF-8 sequence for this test to mean anything
    const partial = ids.some((id) => {
      const b = tok.tokenBytes(id);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b);
        return false;
      } catch {
        return true;
      }
    });
    expect(partial).toBe(true);
    const dec = tok.createStreamDecoder();
    let out = '';
    for (const id of ids) {
      const piece = dec.push(id);
      expect(piece).not.toContain('\uFFFD');
      out += piece;
    }
    out += dec.flush();
    expect(out).toBe(text);
  });

  it('invalid bytes decode to U+FFFD and a partial sequence left at the end is flushed as U+FFFD', () => {
    const idOfByte = (b: number): number => {
      for (let id = 0; id < tok.vocabSize; id++) {
        const bytes = tok.tokenBytes(id);
        if (bytes.length === 1 && bytes[0] === b) return id;
      }
      throw new Error(`no single-byte token for ${b}`);
    };
    const ff = idOfByte(0xff);
    const e4 = idOfByte(0xe4);
    const a = idOfByte(0x41);
    expect(tok.decode([a, ff, a])).toBe('A\uFFFDA');
    const dec = tok.createStreamDecoder();
    expect(dec.push(a)).toBe('A');
    expect(dec.push(e4)).toBe('');
    expect(dec.flush()).toBe('\uFFFD');
    expect(tok.decode([a, e4])).toBe('A\uFFFD');
  });
});

describe('chat formatting (no chat_template in the file: the BitNet 2B-4T format)', () => {
  const messages = [
    { role: 'system' as const, content: 'You are a helpful assistant.' },
    { role: 'user' as const, content: ' Hi ' },
  ];

  it('renders the 2B-4T format', () => {
    expect(tok.applyChatTemplate(messages)).toBe('<|begin_of_text|>System: You are a helpful assistant.<|eot_id|>User: Hi<|eot_id|>Assistant: ');
    expect(tok.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe(
      '<|begin_of_text|>System: You are a helpful assistant.<|eot_id|>User: Hi<|eot_id|>',
    );
  });

  it('encodeChat has BOS exactly once and the specials as control ids', () => {
    const ids = tok.encodeChat(messages);
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
    expect(ids[0]).toBe(128000);
    expect(ids.filter((id) => id === 128009)).toHaveLength(2);
    expect(tok.decode(ids, { skipSpecial: false })).toBe(tok.applyChatTemplate(messages));
    // the ik_llama.cpp #339 example prompt, tokenized the same way
    const ex = tok.encodeChat([{ role: 'user', content: 'Hey, are you conscious? Can you talk to me?' }]);
    expect(tok.decode(ex, { skipSpecial: false })).toBe('<|begin_of_text|>User: Hey, are you conscious? Can you talk to me?<|eot_id|>Assistant: ');
  });
});
