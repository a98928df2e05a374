// Synthetic model tests: tensor list and metadata per architecture, the 2B-4T byte budget from spec §5,
// determinism, identical weights across I2_S/TQ2_0/TQ1_0/F32 copies, parsing by our reader and by
// @huggingface/gguf, and the options used for bad-input tests.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { GGML_TYPE, parseGguf } from '@bitnet-wasm/gguf';
import { SynthError } from './errors';
import { PRESETS } from './presets';
import { decodeF32, decodeI2S, decodeTQ1_0, decodeTQ2_0, f16ToF32, f32ToF16 } from './quant';
import { synthModelSpec, synthTensorData, writeSynthModel, type SynthModelSpec } from './synth';
import { TOKEN_TYPE, type Vocabulary } from './vocab';

const FIXTURES = process.env['BITNET_FIXTURES'] ?? '/work/shared/fixtures';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'synth-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mdValue = (spec: SynthModelSpec, key: string): unknown => spec.metadata.find((m) => m.key === key)?.value;

/** Decoded weights β·T of a ternary tensor, whatever its type. */
function weights(spec: SynthModelSpec, name: string): Float32Array {
  const t = spec.tensors.find((x) => x.name === name)!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const data = synthTensorData(spec, t);
  if (t.type === GGML_TYPE.F32) return decodeF32(data, n);
  const d =
    t.type === GGML_TYPE.I2_S ? decodeI2S(data, n) : t.type === GGML_TYPE.TQ2_0 ? decodeTQ2_0(data, n) : decodeTQ1_0(data, n);
  const per = n / d.scales.length;
  return Float32Array.from(d.values, (v, i) => v * d.scales[Math.floor(i / per)]!);
}

describe('synthModelSpec', () => {
  it('bitnet-b1.58: 2 + 11 tensors per layer with spec §3.3 names, shapes and types; tied head', () => {
    const s = synthModelSpec({ nLayer: 2, nEmbd: 256, nHead: 4, nHeadKv: 2, nFf: 512 });
    expect(s.tensors.length).toBe(2 + 2 * 11);
    const byName = new Map(s.tensors.map((t) => [t.name, t]));
    const nVocab = s.vocab.tokens.length;
    expect(byName.get('token_embd.weight')).toMatchObject({ shape: [256, nVocab], type: GGML_TYPE.F16 });
    expect(byName.get('output_norm.weight')).toMatchObject({ shape: [256], type: GGML_TYPE.F32 });
    expect(byName.has('output.weight')).toBe(false);
    const expectT = (name: string, shape: number[], type: number): void =>
      expect({ name, ...byName.get(name) }).toMatchObject({ name, shape, type });
    expectT('blk.1.attn_q.weight', [256, 256], GGML_TYPE.I2_S);
    expectT('blk.1.attn_k.weight', [256, 128], GGML_TYPE.I2_S);
    expectT('blk.1.attn_v.weight', [256, 128], GGML_TYPE.I2_S);
    expectT('blk.1.attn_output.weight', [256, 256], GGML_TYPE.I2_S);
    expectT('blk.1.ffn_gate.weight', [256, 512], GGML_TYPE.I2_S);
    expectT('blk.1.ffn_up.weight', [256, 512], GGML_TYPE.I2_S);
    expectT('blk.1.ffn_down.weight', [512, 256], GGML_TYPE.I2_S);
    expectT('blk.1.attn_sub_norm.weight', [256], GGML_TYPE.F32);
    expectT('blk.1.ffn_sub_norm.weight', [512], GGML_TYPE.F32);
    expect(byName.get('blk.0.attn_q.weight')!.byteLength).toBe((256 * 256) / 4 + 32);
    expect(mdValue(s, 'general.architecture')).toBe('bitnet-b1.58');
    expect(mdValue(s, 'general.file_type')).toBe(40);
    expect(mdValue(s, 'general.alignment')).toBe(32);
    expect(String(mdValue(s, 'general.name'))).toMatch(/synthetic random-weight/);
    expect(mdValue(s, 'bitnet-b1.58.rope.dimension_count')).toBe(64);
    expect(mdValue(s, 'bitnet-b1.58.attention.head_count_kv')).toBe(2);
    expect(mdValue(s, 'bitnet-b1.58.vocab_size')).toBe(nVocab);
    expect(mdValue(s, 'tokenizer.ggml.bos_token_id')).toBe(s.vocab.bosId);
  });

  it('llama: untied F16 output.weight and no sub-norms; bitnet / bitnet-25 keep the sub-norms', () => {
    const l = synthModelSpec({ arch: 'llama', nLayer: 1 });
    const names = l.tensors.map((t) => t.name);
    expect(names).toContain('output.weight');
    expect(names.some((n) => n.includes('sub_norm'))).toBe(false);
    expect(l.tensors.find((t) => t.name === 'output.weight')!.type).toBe(GGML_TYPE.F16);
    expect(mdValue(l, 'llama.embedding_length')).toBe(256);
    for (const arch of ['bitnet', 'bitnet-25'] as const) {
      const b = synthModelSpec({ arch, nLayer: 1 });
      expect(b.tensors.map((t) => t.name)).toEqual(synthModelSpec({ nLayer: 1 }).tensors.map((t) => t.name));
      expect(mdValue(b, `${arch}.block_count`)).toBe(1);
    }
  });

  it('file_type follows the weight type (I2_S 40, TQ1_0 36, TQ2_0 37, F16 1, F32 0)', () => {
    const ft = (weightType: 'i2_s' | 'tq1_0' | 'tq2_0' | 'f16' | 'f32'): unknown =>
      mdValue(synthModelSpec({ weightType }), 'general.file_type');
    expect([ft('i2_s'), ft('tq1_0'), ft('tq2_0'), ft('f16'), ft('f32')]).toEqual([40, 36, 37, 1, 0]);
  });

  it("2b4t preset: 332 tensors whose data totals spec §5's 1,179,449,920 bytes", () => {
    const s = synthModelSpec(PRESETS['2b4t']);
    expect(s.tensors.length).toBe(332);
    expect(s.tensorBytes).toBe(1_179_449_920);
    const i2s = s.tensors.filter((t) => t.type === GGML_TYPE.I2_S);
    expect(i2s.length).toBe(210);
    expect(i2s.reduce((a, t) => a + t.byteLength, 0)).toBe(521_017_920);
    expect(s.tensors[0]!.byteLength).toBe(656_670_720);
    expect(s.headDim).toBe(128);
    expect(s.vocab.tokens.length).toBe(128256);
    expect(mdValue(s, 'bitnet-b1.58.rope.freq_base')).toBe(500000);
  });

  it('demo preset: LLaMA-3 vocab, head_dim 32, ≈ 33 MB of tensors', () => {
    const s = synthModelSpec(PRESETS.demo);
    expect(s.headDim).toBe(32);
    expect(s.vocab.tokens.length).toBe(128256);
    expect(s.tensorBytes).toBeGreaterThan(32e6);
    expect(s.tensorBytes).toBeLessThan(36e6);
  });

  it('omitTensors / overrideShapes / overrideTypes / extraMetadata / dropMetadata', () => {
    const s = synthModelSpec({
      nLayer: 1,
      omitTensors: ['blk.0.attn_sub_norm.weight'],
      overrideShapes: { 'blk.0.attn_q.weight': [256, 128] },
      overrideTypes: { 'blk.0.ffn_down.weight': GGML_TYPE.F16, 'output_norm.weight': GGML_TYPE.F16 },
      extraMetadata: [{ key: 'general.name', type: 8, value: 'renamed' }, { key: 'x.extra', type: 4, value: 7 }],
      dropMetadata: ['bitnet-b1.58.rope.freq_base'],
    });
    const byName = new Map(s.tensors.map((t) => [t.name, t]));
    expect(byName.has('blk.0.attn_sub_norm.weight')).toBe(false);
    expect(byName.get('blk.0.attn_q.weight')).toMatchObject({ shape: [256, 128], byteLength: (256 * 128) / 4 + 32 });
    expect(byName.get('blk.0.ffn_down.weight')).toMatchObject({ type: GGML_TYPE.F16, byteLength: 512 * 256 * 2 });
    expect(byName.get('output_norm.weight')).toMatchObject({ type: GGML_TYPE.F16, byteLength: 512 });
    expect(mdValue(s, 'general.name')).toBe('renamed');
    expect(mdValue(s, 'x.extra')).toBe(7);
    expect(s.metadata.some((m) => m.key === 'bitnet-b1.58.rope.freq_base')).toBe(false);
    expect(synthTensorData(s, byName.get('blk.0.attn_q.weight')!).length).toBe((256 * 128) / 4 + 32);
  });

  it('rejects bad options with SynthError codes', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SynthError);
        return (e as SynthError).code;
      }
      return 'no error';
    };
    expect(code(() => synthModelSpec({ nHead: 3 }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ nHeadKv: 3 }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ nLayer: 0 }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ seed: -1 }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ scaleRange: [0.5, 0.1] }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ omitTensors: ['nope.weight'] }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ dropMetadata: ['nope'] }))).toBe('bad_option');
    expect(code(() => synthModelSpec({ weightType: 'tq2_0', nEmbd: 128, nHead: 2, nHeadKv: 2 }))).toBe('bad_shape');
    expect(code(() => synthModelSpec({ overrideTypes: { 'output_norm.weight': GGML_TYPE.I2_S } }))).toBe(
      'unsupported_type',
    );
    expect(code(() => synthModelSpec({ overrideTypes: { 'blk.0.attn_q.weight': 12 } }))).toBe('unsupported_type');
  });
});

describe('generated data', () => {
  const tinyOpts = { nLayer: 1, nEmbd: 256, nHead: 4, nHeadKv: 2, nFf: 512 } as const;

  it('same seed → same bytes; different seed → different bytes', () => {
    const a = writeSynthModel({ ...tinyOpts, seed: 7 });
    const b = writeSynthModel({ ...tinyOpts, seed: 7 });
    const c = writeSynthModel({ ...tinyOpts, seed: 8 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(a.length).toBe(c.length);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('I2_S, TQ2_0, TQ1_0 and F32 copies of one model hold identical weights', () => {
    const specs = (['i2_s', 'tq2_0', 'tq1_0', 'f32'] as const).map((weightType) =>
      synthModelSpec({ ...tinyOpts, weightType, seed: 3 }),
    );
    for (const name of ['blk.0.attn_q.weight', 'blk.0.attn_k.weight', 'blk.0.ffn_down.weight']) {
      const [i2s, ...others] = specs.map((s) => weights(s, name));
      for (const o of others) expect(o).toEqual(i2s);
    }
  });

  it('ternary tensors: β in scaleRange and f16-exact, values roughly uniform over {-1,0,+1}', () => {
    const s = synthModelSpec({ ...tinyOpts, scaleRange: [0.1, 0.2] });
    const betas = new Set<number>();
    for (const t of s.tensors.filter((x) => x.type === GGML_TYPE.I2_S)) {
      const n = t.shape[0]! * t.shape[1]!;
      const { values, scales } = decodeI2S(synthTensorData(s, t), n);
      const beta = scales[0]!;
      betas.add(beta);
      expect(beta).toBeGreaterThanOrEqual(0.1 - 1e-4);
      expect(beta).toBeLessThanOrEqual(0.2 + 1e-4);
      expect(f16ToF32(f32ToF16(beta))).toBe(beta);
      const counts = [0, 0, 0];
      for (const v of values) counts[v + 1]!++;
      for (const c of counts) expect(Math.abs(c / n - 1 / 3)).toBeLessThan(0.02);
    }
    expect(betas.size).toBeGreaterThan(3);
  });

  it('norms ≈ 1 ± 0.1, embeddings ≈ N(0, 0.5²), all finite', () => {
    const s = synthModelSpec({ ...tinyOpts, embdType: 'f32' });
    const stats = (name: string): { mean: number; std: number } => {
      const t = s.tensors.find((x) => x.name === name)!;
      const v = decodeF32(synthTensorData(s, t), t.shape.reduce((a, b) => a * b, 1));
      expect(v.every(Number.isFinite)).toBe(true);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      return { mean, std };
    };
    const e = stats('token_embd.weight');
    expect(Math.abs(e.mean)).toBeLessThan(0.02);
    expect(Math.abs(e.std - 0.5)).toBeLessThan(0.02);
    const n = stats('blk.0.ffn_sub_norm.weight');
    expect(Math.abs(n.mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(n.std - 0.1)).toBeLessThan(0.02);
  });
});

describe('parsing the written file', () => {
  const opts = { nLayer: 2, embdType: 'q8_0', seed: 11 } as const;
  const spec = synthModelSpec(opts);
  const file = writeSynthModel(opts);

  it('@bitnet-wasm/gguf reads back every tensor, type, shape and byte range', async () => {
    const parsed = await parseGguf(file);
    expect(parsed.tensors.map((t) => t.name)).toEqual(spec.tensors.map((t) => t.name));
    expect(parsed.alignment).toBe(32);
    expect(parsed.typeFamily).toBe('bitnet');
    spec.tensors.forEach((t, i) => {
      const info = parsed.tensors[i]!;
      expect({ name: info.name, shape: info.shape, type: info.type }).toEqual({ name: t.name, shape: t.shape, type: t.type });
      const start = parsed.tensorDataOffset + info.offset;
      expect(start % 32).toBe(0);
      const bytes = file.subarray(start, start + t.byteLength);
      expect(Buffer.from(bytes).equals(Buffer.from(synthTensorData(spec, t)))).toBe(true);
    });
    expect(parsed.metadata['general.architecture']).toBe('bitnet-b1.58');
    expect(parsed.metadata['tokenizer.ggml.merges']).toEqual(spec.vocab.merges);
    expect(parsed.metadataTypes['bitnet-b1.58.rope.freq_base']).toEqual({ type: 6 });
  });

  it('@bitnet-wasm/gguf parses the demo model (LLaMA-3 vocabulary, ~8 MB header) with its default limits', async () => {
    const demo = writeSynthModel(PRESETS.demo);
    const parsed = await parseGguf(demo);
    expect(parsed.tensors.length).toBe(2 + 4 * 11);
    expect((parsed.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(128256);
    expect(parsed.metadata['tokenizer.ggml.eot_token_id']).toBe(128009);
    expect(parsed.fileSize ?? demo.length).toBe(demo.length);
  });

  it('@huggingface/gguf agrees on metadata, shapes, types and offsets', async () => {
    const path = join(dir, 'tiny.gguf');
    writeFileSync(path, file);
    const parsed = await gguf(path, { allowLocalFile: true });
    const md = parsed.metadata as Record<string, unknown>;
    expect(md['general.architecture']).toBe('bitnet-b1.58');
    expect(md['general.file_type']).toBe(40);
    expect(md['bitnet-b1.58.embedding_length']).toBe(256);
    expect(md['bitnet-b1.58.block_count']).toBe(2);
    expect(md['bitnet-b1.58.attention.layer_norm_rms_epsilon']).toBeCloseTo(1e-5, 10);
    expect(md['tokenizer.ggml.tokens']).toEqual(spec.vocab.tokens);
    expect(md['tokenizer.ggml.merges']).toEqual(spec.vocab.merges);
    expect(md['tokenizer.ggml.token_type']).toEqual(Array.from(spec.vocab.tokenTypes));
    expect(md['tokenizer.ggml.eot_token_id']).toBe(spec.vocab.eotId);
    expect(md['tokenizer.ggml.add_bos_token']).toBe(true);
    const infos = parsed.tensorInfos;
    expect(infos.length).toBe(spec.tensors.length);
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      const t = spec.tensors[i]!;
      expect({ name: info.name, shape: info.shape.map(Number), type: Number(info.dtype) }).toEqual({
        name: t.name,
        shape: t.shape,
        type: t.type,
      });
      // consecutive placement: next offset = this offset + byteLength rounded up to 32
      if (i + 1 < infos.length) {
        expect(Number(infos[i + 1]!.offset)).toBe(Number(info.offset) + Math.ceil(t.byteLength / 32) * 32);
      } else {
        expect(Number(parsed.tensorDataOffset) + Number(info.offset) + t.byteLength).toBeLessThanOrEqual(file.length);
      }
    }
    expect(infos[0]!.dtype).toBe(GGML_TYPE.Q8_0);
  });
});

describe('compatibility with the oracle model written by gguf-py + bitnet.cpp llama-quantize', () => {
  const oraclePath = join(FIXTURES, 'oracle', 'tiny-bitnet-b158-i2_s.gguf');

  it('same hyper-parameters and vocabulary → same tensor table (names, shapes, types, offsets) and metadata types', async () => {
    const oracle = await gguf(oraclePath, { allowLocalFile: true, typedMetadata: true });
    const om = oracle.typedMetadata as unknown as Record<string, { value: unknown; type: number; subType?: number }>;
    const tokens = om['tokenizer.ggml.tokens']!.value as string[];
    const vocab: Vocabulary = {
      model: 'gpt2',
      pre: om['tokenizer.ggml.pre']!.value as string,
      tokens,
      tokenTypes: Int32Array.from(om['tokenizer.ggml.token_type']!.value as number[]),
      merges: om['tokenizer.ggml.merges']!.value as string[],
      bosId: om['tokenizer.ggml.bos_token_id']!.value as number,
      eosId: om['tokenizer.ggml.eos_token_id']!.value as number,
      eotId: om['tokenizer.ggml.eos_token_id']!.value as number,
      addBos: om['tokenizer.ggml.add_bos_token']!.value as boolean,
    };
    const num = (k: string): number => om[`bitnet-b1.58.${k}`]!.value as number;
    const opts = {
      vocab,
      nEmbd: num('embedding_length'),
      nLayer: num('block_count'),
      nHead: num('attention.head_count'),
      nHeadKv: num('attention.head_count_kv'),
      nFf: num('feed_forward_length'),
      nCtx: num('context_length'),
    };
    const path = join(dir, 'oracle-shaped.gguf');
    writeFileSync(path, writeSynthModel(opts));
    const ours = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    const table = (infos: typeof oracle.tensorInfos): unknown[] =>
      infos.map((t) => [t.name, t.shape.map(Number), Number(t.dtype), Number(t.offset)]);
    expect(table(ours.tensorInfos)).toEqual(table(oracle.tensorInfos));
    const mine = ours.typedMetadata as unknown as Record<string, { value: unknown; type: number; subType?: number }>;
    for (const [key, v] of Object.entries(om)) {
      if (['version', 'tensor_count', 'kv_count', 'general.name'].includes(key)) continue;
      expect({ key, type: mine[key]?.type, subType: mine[key]?.subType }).toEqual({ key, type: v.type, subType: v.subType });
      if (key !== 'general.file_type' && key !== 'general.quantization_version') {
        expect({ key, value: mine[key]!.value }).toEqual({ key, value: v.value });
      }
    }
    expect(mine['general.file_type']!.value).toBe(40);
    expect(vocab.tokenTypes[vocab.bosId]).toBe(TOKEN_TYPE.CONTROL);
  });
});
