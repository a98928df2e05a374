// Streaming writer and CLI tests: the streamed file is byte-identical to the in-memory one; the CLI writes a
// preset, reports JSON, and rejects bad flags with exit code 2.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main, parseSynthArgs, type TextSink } from './cli';
import { writeSynthModelFile } from './node';
import { PRESETS } from './presets';
import { synthModelSpec, writeSynthModel } from './synth';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'synth-node-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink(): { stream: TextSink; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream, text: () => text };
}

describe('writeSynthModelFile', () => {
  it.each([
    ['i2_s', 'f16'],
    ['tq1_0', 'q8_0'],
    ['tq2_0', 'f32'],
  ] as const)('streams the same bytes as writeSynthModel (%s, embd %s)', (weightType, embdType) => {
    const opts = { ...PRESETS.tiny, weightType, embdType, seed: 5 };
    const path = join(dir, `m-${weightType}.gguf`);
    const progress: number[] = [];
    const res = writeSynthModelFile(path, opts, {
      onProgress: (p) => (p.tensorDone ? progress.push(p.bytesWritten) : undefined),
    });
    const streamed = readFileSync(path);
    expect(streamed.equals(Buffer.from(writeSynthModel(opts)))).toBe(true);
    expect(res.bytes).toBe(streamed.length);
    expect(progress.length).toBe(synthModelSpec(opts).tensors.length);
    expect(progress[progress.length - 1]).toBe(streamed.length);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});

describe('synth CLI', () => {
  it('parses flags over the preset', () => {
    const a = parseSynthArgs(['--preset', 'demo', '--out=x.gguf', '--type', 'tq2_0', '--seed', '9', '--embd', 'q8_0']);
    expect(a).toMatchObject({
      preset: 'demo',
      out: 'x.gguf',
      options: { ...PRESETS.demo, weightType: 'tq2_0', seed: 9, embdType: 'q8_0' },
    });
    expect(parseSynthArgs(['--help'])).toBeNull();
    for (const bad of [
      ['--out', 'x'],
      ['--preset', 'huge', '--out', 'x'],
      ['--preset', 'tiny'],
      ['--preset', 'tiny', '--out', 'x', '--type', 'q4_0'],
      ['--preset', 'tiny', '--out', 'x', '--seed', '-3'],
      ['--preset', 'tiny', '--out', 'x', '--bogus', '1'],
      ['--preset', 'tiny', '--out'],
    ]) {
      expect(() => parseSynthArgs(bad)).toThrow(/--|argument/);
    }
  });

  it('writes the tiny preset, prints progress on stderr and a JSON summary on stdout', () => {
    const out = join(dir, 'sub', 'tiny.gguf');
    const o = sink();
    const e = sink();
    expect(main(['--preset', 'tiny', '--out', out], o.stream, e.stream)).toBe(0);
    const summary = JSON.parse(o.text()) as Record<string, unknown>;
    const file = readFileSync(out);
    expect(summary).toMatchObject({ preset: 'tiny', fileBytes: file.length, weightType: 'i2_s' });
    expect(file.equals(Buffer.from(writeSynthModel(PRESETS.tiny)))).toBe(true);
    expect(e.text()).toMatch(/100%/);
  });

  it('exit code 2 and usage on bad flags, no file written', () => {
    const out = join(dir, 'never.gguf');
    const e = sink();
    expect(main(['--preset', 'tiny', '--out', out, '--type', 'nope'], sink().stream, e.stream)).toBe(2);
    expect(e.text()).toMatch(/usage:/);
    expect(existsSync(out)).toBe(false);
  });
});
