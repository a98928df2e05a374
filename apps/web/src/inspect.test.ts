// Tests of the header box's data: the summary of a GGUF parsed by @bitnet-wasm/gguf (counts, types
// and parameters computed here are checked against the header we wrote), the memory-plan verdict
// lines, and the format helpers of the progress bar.
import { GGML_TYPE, GgufValueType, buildGgufHeader, parseGguf } from '@bitnet-wasm/gguf';
import type { MemoryPlan } from '@bitnet-wasm/runtime';
import { planVerdict, summarizeHeader, summarizePlan, withEngineRefusal, withPlan } from './inspect';
import { formatBytes, progressText, SpeedMeter } from './format';

/** A whole file: the header, then zeroed tensor data. */
function header(): Uint8Array {
  const { header: h, totalBytes } = buildGgufHeader({
    metadata: [
      { key: 'general.architecture', type: GgufValueType.STRING, value: 'bitnet-b1.58' },
      { key: 'general.name', type: GgufValueType.STRING, value: 'tiny' },
    ],
    tensors: [
      { name: 'token_embd.weight', shape: [32, 10], type: GGML_TYPE.F16, byteLength: 640 },
      { name: 'output_norm.weight', shape: [32], type: GGML_TYPE.F32, byteLength: 128 },
      { name: 'blk.0.attn_norm.weight', shape: [32], type: GGML_TYPE.F32, byteLength: 128 },
    ],
  });
  const file = new Uint8Array(totalBytes);
  file.set(h);
  return file;
}

const plan = (over: Partial<MemoryPlan>): MemoryPlan =>
  ({ fits: true, totalBytes: 3 << 20, weightBytes: 2 << 20, kvBytes: 1 << 20, limitBytes: 4 * 1024 ** 3, nCtx: 2048, ...over }) as MemoryPlan;

describe('summarizeHeader', () => {
  it('reads architecture, name, parameter count and tensor types of a parsed header', async () => {
    const g = await parseGguf(header());
    const h = summarizeHeader(g, 123_456);
    expect(h).toMatchObject({ version: 3, tensorCount: 3, architecture: 'bitnet-b1.58', name: 'tiny', parameterCount: 320 + 32 + 32, fileBytes: 123_456 });
    expect(h.tensorTypes).toEqual({ F16: 1, F32: 2 });
    expect(h.fit).toBeUndefined();
  });
});

describe('verdicts', () => {
  it('a plan that fits says so with its numbers', () => {
    const h = withPlan({ version: 3, tensorCount: 0, metadataCount: 0, fileBytes: 1 }, plan({}));
    expect(h.plan).toEqual({ fits: true, totalBytes: 3 << 20, weightBytes: 2 << 20, kvBytes: 1 << 20, limitBytes: 4 * 1024 ** 3, nCtx: 2048 });
    expect(h.fit).toEqual({ ok: true, reason: 'fits: 3.00 MiB of WebAssembly memory (weights 2.00 MiB + KV cache 1.00 MiB for 2048 tokens) of the 4.00 GiB limit' });
  });
  it("a plan that does not fit gives the runtime's reason", () => {
    const p = summarizePlan(plan({ fits: false, reason: 'the weights alone do not fit' }));
    expect(p.reason).toBe('the weights alone do not fit');
    expect(planVerdict(p)).toEqual({ ok: false, reason: 'will not fit because the weights alone do not fit' });
    expect(summarizePlan(plan({ fits: false })).reason).toContain('more than the 4.00 GiB limit');
  });
  it('a file the engine refuses carries its error', () => {
    const h = withEngineRefusal({ version: 3, tensorCount: 0, metadataCount: 0, fileBytes: 1 }, { code: 'missing_tensor', message: 'no output_norm' });
    expect(h.fit).toEqual({ ok: false, reason: 'the engine can not run this file (missing_tensor): no output_norm' });
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
