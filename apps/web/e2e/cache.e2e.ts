// End-to-end test of the OPFS model cache in Chromium: a model downloaded once is read from the
// cache after a reload with the network route to it blocked, its sha-256 (recorded after the first
// full download) matches the file's, and deleting it from the list makes the next load fail.
import { expect, test } from '@playwright/test';
import { BLOB_GGUF, sha256Of } from './fixtures';

test('download, reload, read from the cache with the network blocked, delete', async ({ page }, info) => {
  const url = `/e2e/${BLOB_GGUF}`;
  await page.goto(`/?model=${url}`);
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#model-label')).toHaveAttribute('data-from-cache', 'false');
  const want = sha256Of(BLOB_GGUF);
  await expect(page.locator('#hdr-sha')).toHaveText(want);
  const entry = page.locator('#cache-list li', { hasText: url });
  await expect(entry).toHaveAttribute('data-complete', 'true');
  await page.screenshot({ path: info.outputPath('cache-downloaded.png'), fullPage: true });

  let blocked = 0;
  await page.context().route((u) => u.pathname === url, (route) => {
    blocked++;
    return route.abort('internetdisconnected');
  });
  await page.reload();
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#model-label')).toHaveAttribute('data-from-cache', 'true');
  await expect(page.locator('#model-label')).toContainText('from the cache');
  await expect(page.locator('#hdr-sha')).toHaveText(want);
  expect(blocked).toBe(0);
  await page.screenshot({ path: info.outputPath('cache-hit.png'), fullPage: true });
  await info.attach('cache-hit', { path: info.outputPath('cache-hit.png'), contentType: 'image/png' });

  await entry.locator('button.cache-delete').click();
  await expect(page.locator('#cache-list li', { hasText: url })).toHaveCount(0);
  await page.reload();
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'error');
  expect(blocked).toBeGreaterThan(0); // the route did see the worker's request: it would have been used
});
