import { loadNodeKernels, BN_FEATURE_SIMD128, BN_FEATURE_THREADS, detectWasmFeatures } from './node';

describe('kernels wasm chain', () => {
  it('calls a C function through the single-thread SIMD build', async () => {
    const k = await loadNodeKernels({ flavor: 'st' });
    expect(k.fn.bn_add_i32!(40, 2)).toBe(42);
    expect(k.features & BN_FEATURE_SIMD128).toBe(BN_FEATURE_SIMD128);
    expect(k.features & BN_FEATURE_THREADS).toBe(0);
  });

  it('calls a C function through the threaded build', async () => {
    const k = await loadNodeKernels({ flavor: 'mt', threads: 2 });
    expect(k.fn.bn_add_i32!(-5, 7)).toBe(2);
    expect(k.features & BN_FEATURE_THREADS).toBe(BN_FEATURE_THREADS);
    k.dispose(); // end the pthread workers so the test process can exit
  });

  it('detects SIMD and threads in Node', () => {
    const f = detectWasmFeatures();
    expect(f.simd).toBe(true);
    expect(f.threads).toBe(true);
  });
});
