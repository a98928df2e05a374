// End-to-end tests of loading (isolated server only; nothing here depends on threads): a model too
// large for wasm32 is refused from its header alone — verdict shown, no download; a download
// cancelled halfway stays a partial cache entry and resumes with an HTTP Range request into a file
// whose sha-256 is the original's; a cancel during the load into WebAssembly memory leaves the page
// usable and the next load comes from the cache.
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { DEMO_PATH, DEMO_URL, FIXTURE_DIR, HUGE_GGUF, fileSize, sha256Of } from './fixtures';
import { greedyIds, recordRequests, shot, waitModelReady, watchErrors } from './util';

test.beforeEach(({}, info) => {
  test.skip(info.project.name !== 'isolated', 'not about isolation');
});

test('a model too large for wasm32 is refused before download, with the reason', async ({ page, context }, info) => {
  const errors = watchErrors(page);
  const path = `/e2e/${HUGE_GGUF}`;
  const seen = await recordRequests(context, path);
  await page.goto(`/?model=${path}`);
  await expect(page.locator('#model-label')).toHaveAttribute('data-refused', 'does_not_fit', { timeout: 30_000 });
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'error');
  await expect(page.locator('#hdr-arch')).toHaveText('bitnet-b1.58');
  await expect(page.locator('#hdr-params')).toHaveText(/^\d+\.\d\d B$/);
  await expect(page.locator('#hdr-size')).toContainText('GiB');
  await expect(page.locator('#hdr-types')).toContainText('I2_S');
  await expect(page.locator('#hdr-fit')).toHaveAttribute('data-ok', 'false');
  await expect(page.locator('#hdr-fit')).toContainText('no — will not fit because the model needs');
  await expect(page.locator('#hdr-fit')).toContainText('the 4 GiB wasm32 maximum');
  await expect(page.locator('#status')).toContainText('Nothing was downloaded.');
  await expect(page.locator('#chat')).toHaveAttribute('data-ready', 'false');
  await shot(page, info, 'does-not-fit');

  // Only bounded Range requests for the header: no open-ended or whole-file request, a few MB at most.
  expect(seen.length).toBeGreaterThan(0);
  let bytes = 0;
  for (const r of seen) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(r.range ?? '');
    expect(m, `request without a bounded Range: ${JSON.stringify(r)}`).not.toBeNull();
    bytes += Number(m![2]) - Number(m![1]) + 1;
  }
  expect(bytes).toBeLessThan(8 << 20);
  info.annotations.push({ type: 'requested', description: `${seen.length} Range requests, ${bytes} bytes of a ${fileSize(join(FIXTURE_DIR, HUGE_GGUF))}-byte file` });
  // and nothing of it is in the cache
  await expect(page.locator('#cache-list li', { hasText: HUGE_GGUF })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('cancel a download halfway, then resume it with Range into a correct file', async ({ page, context }, info) => {
  const errors = watchErrors(page);
  const total = fileSize(DEMO_PATH);
  const url = `${DEMO_URL}?throttle=${Math.ceil(total / 6)}`; // about 6 s for the whole file
  const seen = await recordRequests(context, DEMO_URL);
  await page.goto(`/?model=${encodeURIComponent(url)}`);
  await expect(page.locator('#progress')).toHaveAttribute('data-phase', 'download', { timeout: 30_000 });
  await expect(page.locator('#progress-text')).toContainText(/downloading · .* of 39\.0 MiB · .*\/s · .* left/);
  await expect.poll(() => page.locator('#progress-bar').evaluate((b) => (b as HTMLProgressElement).value), { timeout: 20_000 }).toBeGreaterThan(total / 5);
  await shot(page, info, 'downloading');
  await page.locator('#progress-cancel').click();
  await expect(page.locator('#model-label')).toContainText('was cancelled (the part downloaded so far is kept and resumed next time)');
  await expect(page.locator('#progress')).toBeHidden();
  const entry = page.locator('#cache-list li', { hasText: 'demo.gguf' });
  await expect(entry).toHaveAttribute('data-complete', 'false');
  await expect(entry).toContainText('partial');
  await shot(page, info, 'download-cancelled');
  const before = seen.length;

  await page.locator('#model-load').click(); // the URL is still in the box
  await expect(page.locator('#progress-text')).toContainText('resumed at', { timeout: 30_000 });
  await waitModelReady(page);
  await expect(page.locator('#model-label')).toContainText('downloaded');
  const resumed = seen.slice(before).map((r) => /^bytes=(\d+)-$/.exec(r.range ?? '')).filter((m) => m !== null);
  expect(resumed.length).toBe(1);
  expect(Number(resumed[0]![1])).toBeGreaterThan(total / 5);
  expect(Number(resumed[0]![1])).toBeLessThan(total);
  await expect(page.locator('#hdr-sha')).toHaveText(sha256Of(DEMO_PATH));
  await expect(entry).toHaveAttribute('data-complete', 'true');
  await shot(page, info, 'download-resumed');
  expect(errors).toEqual([]);
});

test('cancel while the weights load into WebAssembly memory; the next load comes from the cache', async ({ page }, info) => {
  const errors = watchErrors(page);
  // Click Cancel from inside the page the moment the load phase starts (no polling race).
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const p = document.getElementById('progress')!;
      let done = false;
      new MutationObserver(() => {
        if (!done && p.dataset.phase === 'load') {
          done = true;
          document.getElementById('progress-cancel')!.click();
        }
      }).observe(p, { attributes: true, attributeFilter: ['data-phase'] });
    });
  });
  await page.goto('/');
  await expect(page.locator('#model-label')).toContainText('was cancelled', { timeout: 60_000 });
  await expect(page.locator('#model-label')).not.toContainText('downloaded so far');
  await expect(page.locator('#chat')).toHaveAttribute('data-ready', 'false');
  await expect(page.locator('#send')).toBeDisabled();
  await shot(page, info, 'load-cancelled');
  await page.locator('#model-load').click();
  await waitModelReady(page);
  await expect(page.locator('#model-label')).toHaveAttribute('data-from-cache', 'true');
  expect((await greedyIds(page, 'Hello', 4)).length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});
