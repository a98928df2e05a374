/**
 * Building from metadata records: typed errors for missing or inconsistent keys, warnings (never a crash) for
 * unknown pre-tokenizers and out-of-range special ids, bad token ids, and the GGUF's own Jinja chat template.
 * The base record is the oracle model's real metadata.
 */
import { Tokenizer, TokenizerError } from '../src';
import { fixture, loadGguf } from './helpers';

let base: Record<string, unknown>;
beforeAll(async () => {
  base = { ...(await loadGguf(fixture('oracle', 'tiny-bitnet-b158-i2_s.gguf'))).metadata };
});

function withKeys(patch: Record<string, unknown>): Record<string, unknown> {
  const md = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete md[k];
  return md;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return (e as TokenizerError).code;
  }
  return undefined;
}

describe('typed errors', () => {
  it.each([
    ['no model', { 'tokenizer.ggml.model': undefined }, 'missing_key'],
    ['unknown model', { 'tokenizer.ggml.model': 'bert' }, 'unknown_model'],
    ['model not a string', { 'tokenizer.ggml.model': 7 }, 'bad_vocab'],
    ['no tokens', { 'tokenizer.ggml.tokens': undefined }, 'missing_key'],
    ['empty tokens', { 'tokenizer.ggml.tokens': [] }, 'bad_vocab'],
    ['a token that is not a string', { 'tokenizer.ggml.tokens': [1, 2, 3] }, 'bad_vocab'],
    ['types of the wrong length', { 'tokenizer.ggml.token_type': [1, 1, 1] }, 'bad_vocab'],
    ['a type out of range', { 'tokenizer.ggml.token_type': new Array(1024).fill(9) }, 'bad_vocab'],
    ['scores of the wrong length', { 'tokenizer.ggml.scores': [0.5] }, 'bad_vocab'],
    ['gpt2 without merges', { 'tokenizer.ggml.merges': undefined }, 'missing_key'],
    ['a merge without a space', { 'tokenizer.ggml.merges': ['ab'] }, 'bad_merges'],
    ['a merge that is not a string', { 'tokenizer.ggml.merges': [5] }, 'bad_merges'],
    ['add_bos without a valid bos id', { 'tokenizer.ggml.bos_token_id': 99999 }, 'missing_key'],
    ['a special id that is not an integer', { 'tokenizer.ggml.eos_token_id': 'x' }, 'bad_vocab'],
    ['add_bos_token not a bool', { 'tokenizer.ggml.add_bos_token': 1 }, 'bad_vocab'],
  ])('%s', (_name, patch, code) => {
    expect(codeOf(() => Tokenizer.fromMetadata(withKeys(patch), { onWarning: () => {} }))).toBe(code);
  });

  it('bad token ids', () => {
    const tok = Tokenizer.fromMetadata(base);
    expect(codeOf(() => tok.decode([5, 1024]))).toBe('bad_token_id');
    expect(codeOf(() => tok.decode([-1]))).toBe('bad_token_id');
    expect(codeOf(() => tok.tokenText(1.5))).toBe('bad_token_id');
    expect(codeOf(() => tok.tokenBytes(NaN))).toBe('bad_token_id');
    expect(codeOf(() => tok.createStreamDecoder().push(4096))).toBe('bad_token_id');
  });
});

describe('warnings, never a crash', () => {
  it('an unknown pre falls back to the default pre-tokenizer with a warning', () => {
    const warnings: string[] = [];
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.ggml.pre': 'no-such-pre' }), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('no-such-pre');
    expect(tok.pre).toBe('no-such-pre');
    const text = "Hello, world! It's 12345 apples.";
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('an absent pre warns and uses the default pre-tokenizer; BOS then follows add_bos_token', () => {
    const warnings: string[] = [];
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.ggml.pre': undefined }), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(tok.pre).toBe('default');
    expect(tok.addBos).toBe(true); // the oracle file says add_bos_token = true
    const noKey = Tokenizer.fromMetadata(withKeys({ 'tokenizer.ggml.pre': undefined, 'tokenizer.ggml.add_bos_token': undefined }), {
      onWarning: () => {},
    });
    expect(noKey.addBos).toBe(false);
  });

  it('a special id outside the vocabulary is ignored with a warning', () => {
    const warnings: string[] = [];
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.ggml.eos_token_id': 5000 }), { onWarning: (m) => warnings.push(m) });
    expect(tok.eosId).toBeUndefined();
    expect(warnings.join()).toContain('eos_token_id');
  });

  it('accepts bigint ids as a GGUF reader may return them', () => {
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.ggml.bos_token_id': 1022n }));
    expect(tok.bosId).toBe(1022);
  });
});

describe("the GGUF's own chat template", () => {
  const template =
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] | trim }}{{ eos_token }}{% endfor %}" +
    '{% if add_generation_prompt %}<|assistant|>{% endif %}';

  it('is rendered with messages, bos_token, eos_token and add_generation_prompt', () => {
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.chat_template': template }));
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: ' Hi ' },
    ];
    expect(tok.applyChatTemplate(messages)).toBe('<|begin_of_text|><|system|>Be brief.<|end_of_text|><|user|>Hi<|end_of_text|><|assistant|>');
    expect(tok.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe(
      '<|begin_of_text|><|system|>Be brief.<|end_of_text|><|user|>Hi<|end_of_text|>',
    );
    const ids = tok.encodeChat(messages);
    expect(ids.filter((id) => id === tok.bosId)).toHaveLength(1);
    expect(ids[0]).toBe(tok.bosId);
    expect(ids.filter((id) => id === tok.eosId)).toHaveLength(2);
  });

  it('a template without BOS still gets exactly one BOS from encodeChat', () => {
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.chat_template': '{% for m in messages %}{{ m.content }}{% endfor %}' }));
    const ids = tok.encodeChat([{ role: 'user', content: 'hello' }]);
    expect(ids[0]).toBe(tok.bosId);
    expect(ids.filter((id) => id === tok.bosId)).toHaveLength(1);
  });

  it('a template that does not parse is TokenizerError("template")', () => {
    const tok = Tokenizer.fromMetadata(withKeys({ 'tokenizer.chat_template': '{% for m in messages %}{{ m.content }' }));
    expect(codeOf(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }]))).toBe('template');
  });
});
