/** httpByteSource against a real local HTTP server that honours Range and counts the bytes it serves. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildGgufHeader, GGML_TYPE, GgufValueType as T, httpByteSource, parseGguf, readTensorData, type GgufWriteTensor } from '../src/index';

// Big fixtures on a shared 2-core machine: allow slow cases (this bounds hangs, it is not a speed assertion).
jest.setTimeout(120_000);

/** A virtual file: real header bytes, then zeros up to `size` (never materialised). */
interface Virtual {
  header: Uint8Array;
  size: number;
}

let server: Server;
let base = '';
let served = 0;
let requests = 0;
const files = new Map<string, Virtual>();
let honourRange = true;

function byteAt(v: Virtual, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  if (start < v.header.length) out.set(v.header.subarray(start, Math.min(end, v.header.length)));
  return out;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const v = files.get(req.url ?? '');
    if (!v) {
      res.writeHead(404).end();
      return;
    }
    const m = honourRange ? /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') : null;
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': v.size, 'accept-ranges': 'bytes' }).end();
      return;
    }
    if (!m) {
      // Whole body, streamed in 64 KiB pieces until the client goes away.
      res.writeHead(200, { 'content-length': v.size });
      let pos = 0;
      const pump = () => {
        while (pos < v.size) {
          const piece = byteAt(v, pos, Math.min(v.size, pos + 65536));
          pos += piece.length;
          served += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (pos = v.size));
      pump();
      return;
    }
    const start = Number(m[1]);
    if (start >= v.size) {
      res.writeHead(416, { 'content-range': `bytes */${v.size}` }).end();
      return;
    }
    const end = Math.min(Number(m[2]), v.size - 1);
    const body = byteAt(v, start, end + 1);
    served += body.length;
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${v.size}`, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A 1.2 GB "model": 2B-4T-like shapes, a 64k-token vocabulary in the header.
  const tokens = Array.from({ length: 65536 }, (_, i) => `tok_${i.toString(36)}_Ġ`);
  const tensors: GgufWriteTensor[] = [{ name: 'token_embd.weight', shape: [2560, 128256], type: GGML_TYPE.F16, byteLength: 2560 * 128256 * 2 }];
  for (let b = 0; b < 130; b++) tensors.push({ name: `blk.${b}.ffn_up.weight`, shape: [2560, 6912], type: GGML_TYPE.I2_S, byteLength: (2560 * 6912) / 4 + 32 });
  const h = buildGgufHeader({
    metadata: [
      { key: 'general.architecture', type: T.STRING, value: 'bitnet-b1.58' },
      { key: 'general.file_type', type: T.UINT32, value: 40 },
      { key: 'tokenizer.ggml.tokens', type: T.ARRAY, arrayType: T.STRING, value: tokens },
    ],
    tensors,
  });
  files.set('/big.gguf', { header: h.header, size: h.totalBytes });
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  served = 0;
  requests = 0;
  honourRange = true;
});

describe('httpByteSource', () => {
  it("parses a 1.2 GB model's header after fetching only a few MB", async () => {
    const v = files.get('/big.gguf')!;
    expect(v.size).toBeGreaterThan(1.2e9);
    const src = httpByteSource(`${base}/big.gguf`);
    const f = await parseGguf(src);
    expect(f.fileSize).toBe(v.size);
    expect(f.typeFamily).toBe('bitnet');
    expect(f.tensors.length).toBe(131);
    expect((f.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(65536);
    expect(f.tensorDataOffset).toBe(v.header.length);
    expect(served).toBeLessThan(Math.max(4 * 1024 * 1024, 2 * v.header.length));
    expect(served).toBeGreaterThanOrEqual(f.headerBytes);
    // Tensor data is fetched by range too.
    const t = f.tensors[1]!;
    const before = served;
    expect((await readTensorData(src, f, t)).length).toBe(t.byteLength);
    expect(served - before).toBe(t.byteLength);
  });

  it('copes with a server that ignores Range, stopping the download once the bytes have arrived', async () => {
    honourRange = false;
    const src = httpByteSource(`${base}/big.gguf`);
    const f = await parseGguf(src);
    expect(f.tensors.length).toBe(131);
    await new Promise((r) => setTimeout(r, 50));
    expect(served).toBeLessThan(64 * 1024 * 1024);
  });

  it('reports HTTP errors as io and honours an abort signal', async () => {
    await expect(parseGguf(httpByteSource(`${base}/missing.gguf`))).rejects.toMatchObject({ name: 'GgufError', code: 'io' });
    const ac = new AbortController();
    const p = parseGguf(httpByteSource(`${base}/big.gguf`), { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'GgufError', code: 'aborted' });
  });

  it('a read past the end is truncated (416), and size is learned from Content-Range', async () => {
    const src = httpByteSource(`${base}/big.gguf`);
    expect(src.size).toBeUndefined();
    await src.read(0, 16);
    const size = src.size!;
    expect(size).toBe(files.get('/big.gguf')!.size);
    await expect(src.read(size - 4, 8)).rejects.toMatchObject({ code: 'truncated' });
  });
});
