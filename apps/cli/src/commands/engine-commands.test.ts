/**
 * generate / eval / bench through the real `bitnet` bin on bitnet.cpp's oracle model: the CLI must give
 * the reference's greedy ids and logits, JSON where asked, and typed errors with non-zero exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '../../bin/bitnet.cjs');
const FIX = process.env.BITNET_FIXTURES!;
const ORACLE = join(FIX, 'oracle');
const MODEL = join(ORACLE, 'tiny-bitnet-b158-i2_s.gguf');
const meta = JSON.parse(readFileSync(join(ORACLE, 'tiny.oracle.json'), 'utf8'));
const sg = JSON.parse(readFileSync(join(ORACLE, 'tiny.seqgreedy.json'), 'utf8'));

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('bitnet generate / eval / bench', () => {
  it('generate --json reproduces bitnet.cpp greedy ids from token ids', () => {
    const r = run(['generate', '--model', MODEL, '--tokens', meta.prompt_ids.join(','), '-n', '16', '--temp', '0', '--ignore-eos', '--json', '--threads', '1']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ids).toEqual(sg.greedy_ids_after_seq_prefill);
    expect(j.promptIds).toEqual(meta.prompt_ids);
    expect(typeof j.timings.decodeTokensPerSecond).toBe('number');
  });

  it('eval writes one float32 row per token equal to bitnet.cpp seq_logits', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bitnet-eval-')), 'l.f32');
    const r = run(['eval', '--model', MODEL, '--tokens', meta.prompt_ids.join(','), '--logits-out', out]);
    expect(r.status).toBe(0);
    const got = new Float32Array(new Uint8Array(readFileSync(out)).buffer);
    const ref = new Float32Array(new Uint8Array(readFileSync(join(ORACLE, 'tiny.seq_logits.f32'))).buffer);
    expect(got.length).toBe(ref.length);
    let m = 0;
    for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(got[i]! - ref[i]!));
    expect(m).toBeLessThanOrEqual(0.5);
  });

  it('bench --json prints llama-bench fields', () => {
    const r = run(['bench', '--model', MODEL, '-p', '16', '-n', '8', '-t', '1', '--reps', '2', '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((x: { test: string }) => x.test)).toEqual(['pp16', 'tg8']);
    for (const x of rows) {
      for (const k of ['n_threads', 'n_prompt', 'n_gen', 'avg_ts', 'stddev_ts', 'load_ms', 'peak_rss_bytes', 'head_type']) expect(x).toHaveProperty(k);
      expect(x.avg_ts).toBeGreaterThan(0);
      expect(x.samples_ts).toHaveLength(2);
    }
  });

  it('bench -d runs every test again at each depth (llama-bench n_depth)', () => {
    const r = run(['bench', '--model', MODEL, '-p', '8', '-n', '4', '-d', '0,24', '-t', '1', '--reps', '2', '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { test: string; n_depth: number; avg_ts: number; samples_ts: number[] }[];
    expect(rows.map((x) => [x.test, x.n_depth])).toEqual([
      ['pp8', 0],
      ['tg4', 0],
      ['pp8 @ d24', 24],
      ['tg4 @ d24', 24],
    ]);
    for (const x of rows) expect(x.samples_ts.every((t) => t > 0)).toBe(true);
    expect(run(['bench', '--model', MODEL, '-d', 'x']).status).not.toBe(0);
  });

  it('bench --profile adds per-step milliseconds per token and load phases, for every thread count', () => {
    const r = run(['bench', '--model', MODEL, '-p', '8', '-n', '4', '-t', '1,2', '--reps', '1', '--profile', '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => `${x.test}/${x.n_threads}`)).toEqual(['pp8/1', 'tg4/1', 'pp8/2', 'tg4/2']);
    for (const x of rows) {
      const prof = x.profile_ms_per_token as Record<string, number>;
      expect(Object.keys(prof).sort()).toEqual(['attention', 'eltwise', 'embed', 'head', 'matmul', 'norm', 'quantize', 'rope_kv']);
      for (const v of Object.values(prof)) expect(Number.isFinite(v) && v >= 0).toBe(true);
      // the steps are parts of the forward pass: together they cannot exceed the measured time per token
      const msPerToken = 1000 / (x.avg_ts as number);
      const sum = Object.values(prof).reduce((a, b) => a + b, 0);
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThanOrEqual(msPerToken * 1.5 + 0.05);
      const phases = x.load_phases_ms as Record<string, number>;
      for (const k of ['parse', 'plan', 'tokenizer', 'weights', 'readWait', 'total']) expect(phases[k]).toBeGreaterThanOrEqual(0);
    }
    // without --profile there is no profile field
    const plain = JSON.parse(run(['bench', '--model', MODEL, '-p', '8', '-n', '0', '-t', '1', '--reps', '1', '--json']).stdout);
    expect(plain[0]).not.toHaveProperty('profile_ms_per_token');
  });

  it('chat answers each line from stdin and exits on /exit', () => {
    const r = spawnSync(process.execPath, [BIN, 'chat', '--model', MODEL, '--temp', '0', '-n', '8'], {
      input: 'Hello there\n/reset\nAnd again\n/exit\n',
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('bitnet-b1.58 loaded');
    // two questions → two answers (each ends with a newline after the streamed text)
    expect((r.stdout.match(/> /g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it('bad input exits non-zero with the error code', () => {
    const r = run(['generate', '--model', join(FIX, 'oracle', 'tiny.oracle.json'), '--prompt', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error \[\w+\]:/m);
    const u = run(['generate', '--prompt', 'x']);
    expect(u.status).toBe(2);
    const t = run(['generate', '--model', MODEL, '--tokens', '1,99999']);
    expect(t.status).toBe(1);
    expect(t.stderr).toContain('error [bad_input]');
  });
});
