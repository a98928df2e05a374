/**
 * Test of bin/lut-decode.mjs (the lookup-table decode experiment) as a child process, in --smoke mode:
 * the exact-table LUT sums equal the scalar reference of its layout (including the extreme pair sum
 * 2 x 2 x -128), and every timing is a positive finite number. Skipped where clang-19 / wasm-ld-19 (the
 * optional relaxed-SIMD toolchain) are not installed. Nothing here looks at speed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const script = join(__dirname, '../bin/lut-decode.mjs');
const haveTools = ['clang-19', 'wasm-ld-19'].every((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0);

interface Loop {
  gb_s_median: number;
  gb_s_best: number;
}
interface Row {
  rx: Loop;
  x1x4: Loop;
  lut: Loop;
  x1x4_over_rx: number;
  lut_over_rx: number;
}

(haveTools ? describe : describe.skip)('lut-decode.mjs --smoke', () => {
  it('builds, matches the reference exactly and times both loops', () => {
    const out = JSON.parse(execFileSync(process.execPath, [script, '--smoke'], { encoding: 'utf8', timeout: 170_000 })) as {
      lut_exact: boolean;
      in_cache: Row;
      stream: Row & { matrices: number };
    };
    expect(out.lut_exact).toBe(true);
    for (const row of [out.in_cache, out.stream]) {
      for (const loop of [row.rx, row.x1x4, row.lut]) {
        expect(Number.isFinite(loop.gb_s_median) && loop.gb_s_median > 0).toBe(true);
        expect(Number.isFinite(loop.gb_s_best) && loop.gb_s_best > 0).toBe(true);
      }
      for (const v of [row.x1x4_over_rx, row.lut_over_rx]) {
        expect(Number.isFinite(v) && v > 0).toBe(true);
      }
    }
    expect(out.stream.matrices).toBe(2);
  }, 180_000);
});
