/**
 * Bad inputs and lifecycle on synthetic models written by tools/models: each failure is a typed
 * BitNetError with its code; abort leaves the model usable and a fresh run with the same seed gives the
 * same output; dispose then use fails cleanly; hyperparameters are read from the file (other rope
 * bases, eps, GQA ratios and vocabulary sizes run); long generations stay finite.
 */
import { writeSynthModel } from '@bitnet-wasm/tools-models';
import { loadNodeKernels, type Kernels } from '@bitnet-wasm/kernels/node';
import { parseGguf } from '@bitnet-wasm/gguf';
import { BitNet, BitNetError, inspectModel, type BitNetErrorCode } from '../src/node';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadNodeKernels({ flavor: 'st' });
});

const small = { nEmbd: 128, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 256, nCtx: 512, vocab: 'bytes' as const, seed: 3 };

async function expectCode(p: Promise<unknown>, code: BitNetErrorCode): Promise<BitNetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BitNetError);
    expect((e as BitNetError).code).toBe(code);
    return e as BitNetError;
  }
  throw new Error(`expected a BitNetError with code ${code}`);
}

describe('bad models are refused with a typed error', () => {
  it('missing tensor names the tensor', async () => {
    const bytes = writeSynthModel({ ...small, omitTensors: ['blk.1.ffn_up.weight'] });
    const e = await expectCode(BitNet.load(bytes, { kernels }), 'missing_tensor');
    expect(e.message).toContain('blk.1.ffn_up.weight');
  });

  it('wrong shape names the tensor and both shapes', async () => {
    const bytes = writeSynthModel({ ...small, overrideShapes: { 'blk.0.attn_k.weight': [128, 128] } });
    const e = await expectCode(BitNet.load(bytes, { kernels }), 'bad_shape');
    expect(e.message).toContain('blk.0.attn_k.weight');
  });

  it('unsupported tensor type', async () => {
    const bytes = writeSynthModel({ ...small, overrideTypes: { 'blk.0.attn_norm.weight': 8 /* Q8_0: not a norm type */ } });
    await expectCode(BitNet.load(bytes, { kernels }), 'unsupported_type');
  });

  it('a matrix wider than the kernels take (BN_MAX_COLS columns) is a typed error before any allocation', async () => {
    // feed_forward_length 40960: ffn_down has 40960 columns; the kernels keep per-call scratch of that width
    const bytes = writeSynthModel({ ...small, nLayer: 1, nFf: 40960 });
    const e = await expectCode(BitNet.load(bytes, { kernels }), 'unsupported_type');
    expect(e.message).toContain('blk.0.ffn_down.weight');
    expect(e.message).toContain('40960');
  });

  it('unknown architecture and missing hyperparameters', async () => {
    await expectCode(BitNet.load(writeSynthModel({ ...small, extraMetadata: [{ key: 'general.architecture', type: 8, value: 'gpt-j' }] }), { kernels }), 'unsupported_architecture');
    await expectCode(
      BitNet.load(writeSynthModel({ ...small, dropMetadata: ['bitnet-b1.58.attention.layer_norm_rms_epsilon'] }), { kernels }),
      'bad_metadata',
    );
  });

  it('a context that does not fit is refused before loading, with numbers and advice', async () => {
    const bytes = writeSynthModel(small);
    const e = await expectCode(BitNet.load(bytes, { kernels, contextLength: 1 << 20, memoryLimitBytes: 256 * 1024 ** 2 }), 'does_not_fit');
    expect(e.message).toMatch(/needs \d+ bytes/);
    expect(e.message).toMatch(/context length/);
  });
});

describe('the not-fit explanation names the remedy that helps', () => {
  it('weights beyond the limit: too large, whatever the context', async () => {
    const e = await expectCode(BitNet.load(writeSynthModel(small), { kernels, memoryLimitBytes: 64 * 1024 }), 'does_not_fit');
    expect(e.message).toMatch(/too large for wasm32/);
    expect(e.message).not.toMatch(/lower the context/);
  });

  it("a q8_0 head is suggested when it is what makes the model fit, and then it loads", async () => {
    const bytes = writeSynthModel({ ...small, vocab: 'llama3' as const, nLayer: 1 });
    const f16 = (await inspectModel(bytes, { kernels, contextLength: 16 })).info.plan;
    const q8 = (await inspectModel(bytes, { kernels, contextLength: 16, headType: 'q8_0' })).info.plan;
    expect(q8.totalBytes).toBeLessThan(f16.totalBytes);
    const limit = f16.baseBytes + Math.floor((f16.totalBytes + q8.totalBytes) / 2);
    const e = await expectCode(BitNet.load(bytes, { kernels, contextLength: 16, memoryLimitBytes: limit }), 'does_not_fit');
    expect(e.message).toMatch(/head type 'q8_0'/);
    const m = await BitNet.load(bytes, { kernels, contextLength: 16, memoryLimitBytes: limit, headType: 'q8_0' });
    expect(m.plan.fits).toBe(true);
    m.dispose();
  }, 60_000);
});

describe('lifecycle', () => {
  it('abort mid-generation leaves the model usable; same seed gives the fresh-model output', async () => {
    const bytes = writeSynthModel(small);
    const sampling = { temperature: 0.9, seed: 1234 };
    const fresh = await BitNet.load(bytes, { kernels });
    const expected = (await fresh.complete('hello world', { maxTokens: 24, sampling, stopAtEog: false })).tokens;
    fresh.dispose();

    const model = await BitNet.load(bytes, { kernels });
    const ac = new AbortController();
    let seen = 0;
    await expect(
      (async () => {
        for await (const _ of model.generate('hello world', { maxTokens: 24, sampling, signal: ac.signal, stopAtEog: false })) {
          if (++seen === 5) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'aborted', name: 'AbortError' });
    const again = (await model.complete('hello world', { maxTokens: 24, sampling, stopAtEog: false })).tokens;
    expect(again).toEqual(expected);
    model.dispose();
  });

  it('load phases are timed; the profiler attributes forward-pass time to its steps, does not change results, and restarts from zero', async () => {
    const model = await BitNet.load(writeSynthModel(small), { kernels });
    const lt = model.info.loadTimings!;
    for (const v of Object.values(lt)) expect(v).toBeGreaterThanOrEqual(0);
    expect(lt.totalMs).toBeGreaterThanOrEqual(lt.parseMs + lt.planMs + lt.tokenizerMs + lt.weightsMs - 1e-6);
    // parts of the weights phase that do not overlap
    expect(lt.readWaitMs + lt.packMs + lt.allocMs).toBeLessThanOrEqual(lt.weightsMs + 1e-6);
    expect(lt.packMs).toBeGreaterThan(0);  // the matrices are repacked
    const plain = model.eval([1, 2, 3, 4]).slice();
    model.reset();
    model.setProfiling(true);
    const profiled = model.eval([1, 2, 3, 4]).slice();
    for (let i = 0; i < 3; i++) model.eval([5 + i]);
    const r = model.profileReport();
    expect(Object.keys(r).sort()).toEqual(['attention', 'eltwise', 'embed', 'head', 'matmul', 'norm', 'quantize', 'rope_kv']);
    for (const v of Object.values(r)) expect(v).toBeGreaterThanOrEqual(0);
    expect(r.matmul! + r.head!).toBeGreaterThan(0);
    expect(profiled).toEqual(plain);
    model.setProfiling(true);
    expect(Object.values(model.profileReport()).every((v) => v === 0)).toBe(true);
    model.setProfiling(false);
    model.eval([9]);
    expect(Object.values(model.profileReport()).every((v) => v === 0)).toBe(true);
    model.dispose();
  });

  it('dispose then use throws disposed', async () => {
    const model = await BitNet.load(writeSynthModel(small), { kernels });
    model.dispose();
    expect(() => model.eval([1])).toThrow(expect.objectContaining({ code: 'disposed' }));
    expect(() => model.tokenize('x')).toThrow(BitNetError);
  });

  it('bad tokens and a full context are typed errors', async () => {
    const model = await BitNet.load(writeSynthModel(small), { kernels, contextLength: 8 });
    expect(() => model.eval([model.hparams.nVocab])).toThrow(expect.objectContaining({ code: 'bad_input' }));
    expect(() => model.eval(new Array(9).fill(1))).toThrow(expect.objectContaining({ code: 'context_full' }));
    model.dispose();
  });

  it('truncate continues from an earlier position: the logits of a fresh evaluation of the kept prefix plus the new tokens', async () => {
    const model = await BitNet.load(writeSynthModel(small), { kernels, contextLength: 32 });
    model.eval([1, 2, 3, 4, 5, 6, 7, 8]);
    model.truncate(3);
    expect(model.contextUsed).toBe(3);
    const after = model.eval([9, 10]).slice();
    model.reset();
    const fresh = model.eval([1, 2, 3, 9, 10]).slice();
    expect(after).toEqual(fresh);
    for (const bad of [-1, 6, 1.5, NaN]) expect(() => model.truncate(bad)).toThrow(expect.objectContaining({ code: 'bad_option' }));
    model.truncate(0);
    expect(model.contextUsed).toBe(0);
    // not while a generation runs on the model
    const gen = model.generate([1, 2, 3], { maxTokens: 4, stopAtEog: false });
    await gen.next();
    expect(() => model.truncate(1)).toThrow(expect.objectContaining({ code: 'busy' }));
    await gen.return(undefined as never);
    model.truncate(1);
    expect(model.contextUsed).toBe(1);
    model.dispose();
  });

  it('load can be aborted and the kernels stay usable', async () => {
    const bytes = writeSynthModel(small);
    const ac = new AbortController();
    await expectCode(
      BitNet.load(bytes, {
        kernels,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.loadedBytes > 0) ac.abort();
        },
      }),
      'aborted',
    );
    const m = await BitNet.load(bytes, { kernels });
    expect(m.eval([1]).every(Number.isFinite)).toBe(true);
    m.dispose();
  });

  it('an abort that arrives as a message (a worker cancel) stops a load from memory or a Blob', async () => {
    const bytes = writeSynthModel(small);
    for (const input of [bytes, new Blob([new Uint8Array(bytes)])]) {
      const ac = new AbortController();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => ac.abort();
      let posted = false;
      const loading = expectCode(
        BitNet.load(input, {
          kernels,
          signal: ac.signal,
          onProgress: (p) => {
            if (p.loadedBytes > 0 && !posted) {
              posted = true;
              ch.port2.postMessage('cancel');  // handled only when the loader gives the event loop a turn
            }
          },
        }),
        'aborted',
      );
      await loading.finally(() => ch.port1.close());  // an open port would keep the test process alive
    }
    const m = await BitNet.load(bytes, { kernels });
    expect(m.eval([1]).every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

describe('loading from a Blob', () => {
  it('gives the logits of the same bytes in memory, streams the large tensors, and releases the stream', async () => {
    // 1 MiB FFN matrices: reads large enough for the Blob's byte stream (BLOB_STREAM_MIN_BYTES)
    const bytes = writeSynthModel({ ...small, nEmbd: 1024, nFf: 4096, nHead: 8, nHeadKv: 4 });
    let opened = 0;
    let cancelled = 0;
    const watch = (b: Blob): Blob =>
      new Proxy(b, {
        get(target, prop) {
          if (prop === 'slice') return (a?: number, e?: number) => watch(target.slice(a, e));
          if (prop === 'stream')
            return () => {
              opened++;
              const st = target.stream();
              const getReader = st.getReader.bind(st) as (o?: { mode: 'byob' }) => ReadableStreamBYOBReader;
              return Object.assign(st, {
                getReader: (o?: { mode: 'byob' }) => {
                  const r = getReader(o);
                  const cancel = r.cancel.bind(r);
                  return Object.assign(r, { cancel: (why?: unknown) => (cancelled++, cancel(why)) });
                },
              });
            };
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
    const fromBytes = await BitNet.load(bytes, { kernels });
    const fromBlob = await BitNet.load(watch(new Blob([new Uint8Array(bytes)])), { kernels });
    try {
      expect(opened).toBeGreaterThan(0);
      expect(cancelled).toBe(opened);
      const a = fromBytes.eval([1, 2, 3]);
      const b = fromBlob.eval([1, 2, 3]);
      expect(a.every(Number.isFinite)).toBe(true);
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      fromBytes.dispose();
      fromBlob.dispose();
    }
  });
});

describe('hyperparameters come from the file', () => {
  const variants = [
    { name: 'rope 10000, eps 1e-6, MHA', o: { ropeBase: 10000, eps: 1e-6, nHeadKv: 4 } },
    { name: 'GQA 8:1, vocab llama-size head_dim 16', o: { nHead: 8, nHeadKv: 1 } },
    { name: 'arch bitnet (SiLU)', o: { arch: 'bitnet' as const } },
    { name: 'arch llama (no sub-norms, untied head)', o: { arch: 'llama' as const } },
    { name: 'TQ2_0 weights', o: { weightType: 'tq2_0' as const, nEmbd: 256, nFf: 512 } },
    { name: 'TQ1_0 weights', o: { weightType: 'tq1_0' as const, nEmbd: 256, nFf: 512 } },
  ];
  for (const v of variants) {
    it(`runs ${v.name}`, async () => {
      const model = await BitNet.load(writeSynthModel({ ...small, ...v.o }), { kernels });
      const hp = model.hparams;
      if ('ropeBase' in v.o) expect(hp.ropeBase).toBe(v.o.ropeBase);
      if ('nHeadKv' in v.o) expect(hp.nHeadKv).toBe(v.o.nHeadKv);
      const logits = model.eval([1, 2, 3]);
      expect(logits.length).toBe(hp.nVocab);
      expect(logits.every(Number.isFinite)).toBe(true);
      model.dispose();
    });
  }
});

describe('memory', () => {
  it('a tied F16 embedding is stored once, in the head\'s packed F16 layout (rows padded to a multiple of 4)', async () => {
    const bytes = writeSynthModel({ ...small, vocab: 'llama3' as const, nLayer: 1 });
    const { plan } = (await inspectModel(bytes, { kernels, contextLength: 16 })).info;
    const emb = plan.tensors.filter((t) => t.slot.name === 'token_embd.weight');
    const [cols = 0, rows = 0] = emb[0]!.info.shape;
    expect(emb.map((t) => [t.load, t.packedType])).toEqual([['rows', 1 /* F16 */]]);
    expect(emb[0]!.bytes).toBe(Math.ceil(rows / 4) * 4 * cols * 2);
    expect(plan.tensors.some((t) => t.load === 'alias' || t.load === 'direct')).toBe(false);
    // and a non-finite value in it (the f16 kernels do not propagate inf/NaN) is a typed load error
    const file = await parseGguf(bytes);
    const t = file.tensors.find((x) => x.name === 'token_embd.weight')!;
    const bad = bytes.slice();
    new DataView(bad.buffer, bad.byteOffset).setUint16(t.absoluteOffset + 2 * (cols * 5 + 3), 0x7c00, true);
    const e = await expectCode(BitNet.load(bad, { kernels, contextLength: 16 }), 'load_failed');
    expect(e.message).toContain('token_embd.weight');
  }, 60_000);

  it('grows WebAssembly memory once at load, never during generation', async () => {
    const k = await loadNodeKernels({ flavor: 'st' });
    const before = k.memoryBytes();
    const model = await BitNet.load(writeSynthModel({ ...small, nCtx: 2048 }), { kernels: k, contextLength: 2048 });
    const afterLoad = k.memoryBytes();
    expect(afterLoad).toBeGreaterThanOrEqual(before);
    expect(afterLoad - before).toBeLessThanOrEqual(model.plan.totalBytes + model.plan.totalBytes / 4 + (16 << 20));
    await model.complete('memory', { maxTokens: 200, sampling: { temperature: 1, seed: 2 }, stopAtEog: false });
    model.eval(Array.from({ length: 100 }, (_, i) => i + 1), { allLogits: true });
    expect(k.memoryBytes()).toBe(afterLoad);
    model.dispose();
  });
});

describe('long generation', () => {
  it('4,096 tokens on a synthetic model stay finite', async () => {
    const model = await BitNet.load(writeSynthModel({ ...small, nLayer: 1, nCtx: 4096 }), { kernels, contextLength: 4096 });
    const r = await model.complete([1], { maxTokens: 4095, sampling: { temperature: 1, seed: 9 }, stopAtEog: false });
    expect(r.tokens.length).toBe(4095);
    expect(model.contextUsed).toBe(4095);
    expect(model.eval([2]).every(Number.isFinite)).toBe(true);
    expect(() => model.eval([3])).toThrow(expect.objectContaining({ code: 'context_full' }));
    model.dispose();
  }, 120_000);
});
