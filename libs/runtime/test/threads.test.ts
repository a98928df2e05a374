/** The threaded kernels give bit-identical logits for any thread count (runtime level, oracle model). */
import { join } from 'node:path';
import { loadModel } from '../src/node';

it('1 and 2 threads give identical logits on the I2_S oracle', async () => {
  const file = join(process.env.BITNET_FIXTURES!, 'oracle/tiny-bitnet-b158-i2_s.gguf');
  const prompt = [1022, 318, 265, 75, 67, 11, 294, 533];
  const run = async (threads: number) => {
    const m = await loadModel(file, { threads, contextLength: 64 });
    expect(m.info.threads).toBe(threads);
    const out = m.eval(prompt, { allLogits: true });
    m.dispose();
    return out;
  };
  const one = await run(1);
  const two = await run(2);
  expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
}, 60_000);
