/** `bitnet tokenize` on real GGUFs: ids as text and JSON, --no-bos, --parse-special, --show-pieces, --file, errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenizeCommand } from './tokenize';

const FIXTURES = process.env.BITNET_FIXTURES ?? '';
const ORACLE = join(FIXTURES, 'oracle', 'tiny-bitnet-b158-i2_s.gguf');
const SPM = join(FIXTURES, 'third-party', 'llama.cpp-vocab', 'ggml-vocab-llama-spm.gguf');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await tokenizeCommand(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

// bitnet.cpp's llama-tokenize output for this text (oracle/tiny.oracle.json)
const TEXT = "llama.cpp: don't panic";
const IDS = [1022, 315, 374, 25, 666, 263, 6, 83, 299, 262, 469];

it('prints the ids, with BOS by default', async () => {
  const r = await run(['--model', ORACLE, TEXT]);
  expect(r.code).toBe(0);
  expect(r.out).toBe(IDS.join(' ') + '\n');
});

it('--json and --no-bos', async () => {
  const r = await run(['-m', ORACLE, '--json', '--no-bos', TEXT]);
  expect(JSON.parse(r.out)).toEqual(IDS.slice(1));
});

it('--parse-special turns the BOS text into its id', async () => {
  const plain = JSON.parse((await run(['-m', ORACLE, '--json', '--no-bos', '<|begin_of_text|>x'])).out) as number[];
  const special = JSON.parse((await run(['-m', ORACLE, '--json', '--no-bos', '--parse-special', '<|begin_of_text|>x'])).out) as number[];
  expect(plain).not.toContain(1022);
  expect(special[0]).toBe(1022);
});

it('--show-pieces prints id/piece pairs', async () => {
  const r = await run(['-m', SPM, '--show-pieces', 'Hello world']);
  expect(r.out).toBe('1\t"<s>"\n15043\t" Hello"\n3186\t" world"\n');
  const j = JSON.parse((await run(['-m', SPM, '--show-pieces', '--json', '--no-bos', 'Hello'])).out) as { id: number; piece: string }[];
  expect(j).toEqual([{ id: 15043, piece: ' Hello' }]);
});

it('--file reads the text from a file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitnet-tokenize-'));
  const f = join(dir, 'in.txt');
  writeFileSync(f, TEXT);
  const r = await run(['-m', ORACLE, '--json', '--file', f]);
  expect(JSON.parse(r.out)).toEqual(IDS);
});

it('--help prints the usage', async () => {
  const r = await run(['--help']);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^usage: bitnet tokenize/);
});

it('usage errors exit 2, a bad file exits 1 with a coded message', async () => {
  expect((await run(['hello'])).code).toBe(2);
  expect((await run(['-m', ORACLE])).code).toBe(2);
  expect((await run(['-m', ORACLE, '--file', 'x', 'y'])).code).toBe(2);
  const r = await run(['-m', join(FIXTURES, 'no-such.gguf'), 'x']);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^error \[io\]/);
});
