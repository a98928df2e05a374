// Tests of the bounded GGUF header look: fields read from a hand-made header, truncated windows,
// and typed errors for files that are not GGUF.
import { peekHeader, HeaderError } from './header-peek';
import { formatBytes, progressText, SpeedMeter } from './format';

function gguf(opts: { version?: number; magic?: string; arrayLen?: number } = {}): Uint8Array<ArrayBuffer> {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
  const u64 = (v: number) => {
    u32(v % 2 ** 32);
    u32(Math.floor(v / 2 ** 32));
  };
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    u64(b.length);
    parts.push(...b);
  };
  parts.push(...new TextEncoder().encode(opts.magic ?? 'GGUF'));
  u32(opts.version ?? 3);
  u64(1);
  u64(3);
  str('general.architecture');
  u32(8);
  str('bitnet-b1.58');
  str('tokenizer.ggml.scores');
  u32(9);
  u32(6); // f32
  u64(opts.arrayLen ?? 3);
  for (let i = 0; i < (opts.arrayLen ?? 3); i++) u32(0);
  str('general.name');
  u32(8);
  str('tiny');
  str('token_embd.weight');
  u32(2);
  u64(8);
  u64(5);
  u32(34);
  u64(0);
  return new Uint8Array(parts);
}

describe('peekHeader', () => {
  it('reads architecture, name, parameter count and tensor types', async () => {
    const h = await peekHeader(new Blob([gguf()]));
    expect(h).toMatchObject({ version: 3, tensorCount: 1, metadataCount: 3, architecture: 'bitnet-b1.58', name: 'tiny', parameterCount: 40, tensorTypes: { TQ1_0: 1 } });
    expect(h.fit?.ok).toBe(true);
  });
  it('a window shorter than the header reports what it read', async () => {
    const h = await peekHeader(new Blob([gguf({ arrayLen: 1000 })]), 100);
    expect(h.architecture).toBe('bitnet-b1.58');
    expect(h.name).toBeUndefined();
    expect(h.parameterCount).toBeUndefined();
  });
  it('rejects non-GGUF input and unknown versions with HeaderError', async () => {
    await expect(peekHeader(new Blob([gguf({ magic: 'GGML' })]))).rejects.toBeInstanceOf(HeaderError);
    await expect(peekHeader(new Blob([gguf({ version: 9 })]))).rejects.toThrow('version 9');
    await expect(peekHeader(new Blob([new Uint8Array(3)]))).rejects.toMatchObject({ code: 'bad_model' });
  });
});

describe('format', () => {
  it('formats sizes and progress', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(40_864_992)).toBe('39.0 MiB');
    expect(progressText(50, 100, 10)).toBe('50 B of 100 B · 10 B/s · 5 s left');
    expect(progressText(50, null, 0)).toBe('50 B');
  });
  it('SpeedMeter averages over its window', () => {
    const m = new SpeedMeter(1000);
    expect(m.add(0, 0)).toBe(0);
    expect(m.add(500, 500)).toBe(1000);
    expect(m.add(2000, 2500)).toBe(1000 * (2000 / 1500));
  });
});
