/** The type table and the id-36..39 family rule (bitnet.cpp fork vs upstream llama.cpp). */
import { GGMLQuantizationType } from '@huggingface/gguf';
import { GGML_TYPE, GgufError, GgufValueType as T, ggmlTypeInfo, parseGguf, tensorByteLength, writeGguf, type GgufWriteKV } from '../src/index';
import { preamble } from './helpers';

describe('type table', () => {
  it('names agree with @huggingface/gguf for every upstream id we know', () => {
    const theirs = Object.entries(GGMLQuantizationType).filter(([k]) => /^\d+$/.test(k)) as [string, string][];
    let compared = 0;
    for (const [id, name] of theirs) {
      const ours = ggmlTypeInfo(Number(id), 'upstream');
      if (ours) {
        expect([id, ours.name]).toEqual([id, name]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(32);
  });
  it('block geometry of the types the issue names (spec §2.1)', () => {
    const g = (id: number, fam?: 'bitnet' | 'upstream') => {
      const i = ggmlTypeInfo(id, fam);
      return i && [i.name, i.blockSize, i.typeSize];
    };
    expect(g(0)).toEqual(['F32', 1, 4]);
    expect(g(1)).toEqual(['F16', 1, 2]);
    expect(g(30)).toEqual(['BF16', 1, 2]);
    expect(g(8)).toEqual(['Q8_0', 32, 34]);
    expect(g(2)).toEqual(['Q4_0', 32, 18]);
    expect(g(12)).toEqual(['Q4_K', 256, 144]);
    expect(g(14)).toEqual(['Q6_K', 256, 210]);
    expect(g(34)).toEqual(['TQ1_0', 256, 54]);
    expect(g(35)).toEqual(['TQ2_0', 256, 66]);
    expect(g(36)?.[0]).toBe('I2_S');
    expect(g(38)?.[0]).toBe('TL1');
    expect(g(39)?.[0]).toBe('TL2');
    expect(g(39, 'upstream')).toEqual(['MXFP4', 32, 17]);
    expect(g(36, 'upstream')).toBeUndefined();
    expect(g(77)).toBeUndefined();
  });
  it('fork byte sizes: I2_S and TL1 n/4 + 32, TL2 per its formula', () => {
    expect(tensorByteLength(GGML_TYPE.I2_S, [2560, 6912])).toBe((2560 * 6912) / 4 + 32);
    expect(tensorByteLength(GGML_TYPE.TL1, [256, 64])).toBe((256 * 64) / 4 + 32);
    // (ne0-256)*ne1/3*5/8 + 256*ne1/2*4/8, up to 32, +32:
    // (256*4/3=341 → *5=1705 → /8=213) + (256*4/2=512 → *4=2048 → /8=256) = 469 → 480 → 512.
    expect(tensorByteLength(GGML_TYPE.TL2, [512, 4])).toBe(512);
    expect(tensorByteLength(GGML_TYPE.TL2, [512, 4], 'upstream')).toBe((512 * 4 * 17) / 32);
    expect(() => tensorByteLength(36, [256], 'upstream')).toThrow(GgufError);
    expect(() => tensorByteLength(GGML_TYPE.Q8_0, [33])).toThrow(expect.objectContaining({ code: 'bad_value' }));
    expect(() => tensorByteLength(GGML_TYPE.TL2, [128, 4])).toThrow(expect.objectContaining({ code: 'bad_value' }));
  });
});

describe('typeFamily: what id 39 means', () => {
  const arch = (a: string): GgufWriteKV => ({ key: 'general.architecture', type: T.STRING, value: a });
  const ftype = (v: number): GgufWriteKV => ({ key: 'general.file_type', type: T.UINT32, value: v });
  const id39 = (family: 'bitnet' | 'upstream') => [
    { name: 'a', shape: [512, 4], type: 39, data: new Uint8Array(tensorByteLength(39, [512, 4], family)) },
    { name: 'b', shape: [512, 4], type: 39, data: new Uint8Array(tensorByteLength(39, [512, 4], family)) },
  ];
  const parse = async (metadata: GgufWriteKV[], family: 'bitnet' | 'upstream', extra: Parameters<typeof writeGguf>[0]['tensors'] = []) => {
    const f = await parseGguf(writeGguf({ metadata, tensors: [...id39(family), ...extra], family }));
    return [f.typeFamily, f.tensors[0]!.typeName, f.tensors[0]!.byteLength];
  };

  it('upstream architecture → MXFP4', async () => {
    expect(await parse([arch('llama')], 'upstream')).toEqual(['upstream', 'MXFP4', 1088]);
  });
  it('bitnet architecture with a fork file_type (38/39/40) → TL2', async () => {
    expect(await parse([arch('bitnet-b1.58'), ftype(39)], 'bitnet')).toEqual(['bitnet', 'TL2', 512]);
    expect(await parse([arch('bitnet'), ftype(40)], 'bitnet')).toEqual(['bitnet', 'TL2', 512]);
  });
  it('file_type 38 on a non-bitnet architecture stays upstream (upstream uses 38 for MXFP4_MOE)', async () => {
    expect(await parse([arch('gpt-oss'), ftype(38)], 'upstream')).toEqual(['upstream', 'MXFP4', 1088]);
  });
  it('bitnet architecture without file_type: decided by the byte spans', async () => {
    expect(await parse([arch('bitnet-25')], 'bitnet')).toEqual(['bitnet', 'TL2', 512]);
    expect(await parse([arch('bitnet-25')], 'upstream')).toEqual(['upstream', 'MXFP4', 1088]);
  });
  it('any tensor of id 36 (I2_S) or 38 (TL1) → bitnet, whatever the architecture', async () => {
    const i2s = { name: 'q', shape: [256, 4], type: 36, data: new Uint8Array(256 + 32) };
    expect(await parse([arch('llama')], 'bitnet', [i2s])).toEqual(['bitnet', 'TL2', 512]);
  });
  it('TL2 followed by its hidden scale block (span = size + alignment) is still bitnet', async () => {
    // Hand-made: arch bitnet, one TL2 tensor at 0 whose successor sits 512 + 32 bytes later.
    const r = preamble(2, 1).str('general.architecture').u32(T.STRING).str('bitnet');
    r.str('w').u32(2).u64(512).u64(4).u32(39).u64(0);
    r.str('n').u32(1).u64(8).u32(0).u64(544);
    r.pad(32).bytes(544 + 32);
    const f = await parseGguf(r.build());
    expect([f.typeFamily, f.tensors[0]!.typeName, f.tensors[0]!.byteLength]).toEqual(['bitnet', 'TL2', 512]);
  });
});
