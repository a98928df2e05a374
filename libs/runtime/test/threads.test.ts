/** The threaded kernels give bit-identical logits for any thread count (runtime level, oracle model). */
import { join } from 'node:path';
import { loadNodeKernels } from '@bitnet-wasm/kernels/node';
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

it('models sharing threaded kernels with different thread counts each run with their own pool', async () => {
  const file = join(process.env.BITNET_FIXTURES!, 'oracle/tiny-bitnet-b158-i2_s.gguf');
  const prompt = [1022, 318, 265, 75, 67, 11, 294, 533];
  const kernels = await loadNodeKernels({ flavor: 'mt', threads: 2 });
  try {
    const one = await loadModel(file, { kernels, threads: 1, contextLength: 64 });
    const expected = one.eval(prompt, { allLogits: true }).slice();
    one.reset();
    const two = await loadModel(file, { kernels, threads: 2, contextLength: 64 });  // the pool grows to 2
    // the C side refuses a pool larger than the model's scratch was sized for (no out-of-bounds writes)
    const m = (one as unknown as { model: number }).model;
    const tokensPtr = (one as unknown as { tokensPtr: number }).tokensPtr, logitsPtr = (one as unknown as { logitsPtr: number }).logitsPtr;
    kernels.heapI32().set(prompt.slice(0, 1), tokensPtr >>> 2);
    expect(kernels.fn.bn_model_forward!(m, tokensPtr, 1, 0, logitsPtr, 0)).toBe(5);  // BN_ERR_THREADS
    // the runtime switches the pool to the model's own thread count
    const again = one.eval(prompt, { allLogits: true });
    expect(kernels.fn.bn_threads_count!()).toBe(1);
    expect(Buffer.from(again.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    const viaTwo = two.eval(prompt, { allLogits: true });
    expect(kernels.fn.bn_threads_count!()).toBe(2);
    expect(Buffer.from(viaTwo.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    one.dispose();
    two.dispose();
  } finally {
    kernels.dispose();
  }
}, 60_000);
