/**
 * Pre-tokenizer semantics on hand-derived examples (each expectation follows from the regex definitions in the
 * llama.cpp source, step by step in the comments); the fixture-driven tests cover llama-bpe and gpt-2 at scale.
 */
import { PreTokenizer, preTokenizerKind } from './pretokenize';

function split(kind: 'llama3' | 'gpt2' | 'default', text: string): string[] {
  const out: string[] = [];
  new PreTokenizer(kind).split(text, (w) => out.push(w));
  return out;
}

it('maps pre names to families', () => {
  expect(preTokenizerKind('llama-bpe')).toBe('llama3');
  expect(preTokenizerKind('llama3')).toBe('llama3');
  expect(preTokenizerKind('gpt-2')).toBe('gpt2');
  expect(preTokenizerKind('default')).toBe('default');
  expect(preTokenizerKind('qwen2')).toBeUndefined();
  expect(preTokenizerKind('__proto__')).toBeUndefined();
});

it('default: punctuation runs first, then GPT-2, then digit runs, then groups of three digits', () => {
  // 1. [\p{P}$+<=>^~|]+ cuts out "," "!" "'" "."; 2. GPT-2 splits "s 12345 apples" into "s" " 12345" " apples";
  // 3. \p{N}+ splits " 12345" into " " "12345"; 4. [0-9]{3} splits "12345" into "123" "45".
  expect(split('default', "Hello, world! It's 12345 apples.")).toEqual([
    'Hello', ',', ' world', '!', ' It', "'", 's', ' ', '123', '45', ' apples', '.',
  ]);
  // "$+<=>^~|" are symbols, not \p{P}, yet the first regex lists them explicitly
  expect(split('default', 'a$+<=>^~|b')).toEqual(['a', '$+<=>^~|', 'b']);
});

it('gpt2: case-sensitive contractions, one optional space before a run', () => {
  expect(split('gpt2', "Hello, world! It's 12345 apples.")).toEqual(['Hello', ',', ' world', '!', ' It', "'s", ' 12345', ' apples', '.']);
  expect(split('gpt2', "IT'S")).toEqual(['IT', "'", 'S']);
  // \s+(?!\S): of three spaces before "x", two stand alone and the last one joins " x"
  expect(split('gpt2', 'a   x')).toEqual(['a', '  ', ' x']);
});

it('llama3: case-insensitive contractions, numbers in threes, newlines kept with punctuation', () => {
  expect(split('llama3', "IT'S 1234567")).toEqual(['IT', "'S", ' ', '123', '456', '7']);
  // ".\n\n" is one piece (punctuation then [\r\n]*); of "  x" one space stands alone and " x" is a word
  expect(split('llama3', 'end.\n\n  x')).toEqual(['end', '.\n\n', ' ', ' x']);
});

it('whitespace is the Unicode White_Space set, as in llama.cpp (U+0085 yes, U+FEFF no)', () => {
  expect(split('gpt2', 'a\u0085\u0085b')).toEqual(['a', '\u0085', '\u0085', 'b']);
  expect(split('gpt2', 'a \uFEFF')).toEqual(['a', ' \uFEFF']);
});

it('pieces always concatenate to the input', () => {
  const text = 'x\t\t\u3000y—«z» 12,345.6e7 ℕ ⅻ ½ \r\n\r\n end   ';
  for (const kind of ['llama3', 'gpt2', 'default'] as const) expect(split(kind, text).join('')).toBe(text);
});
