// End-to-end test of the OPFS model cache in Chromium (isolated server only): the demo model
// downloaded once loads again after a reload with the network route to it blocked (and generates),
// its sha-256 (recorded after the first full download) matches the file's, and deleting it from the
// list makes the next load need the network again.
import { expect, test } from '@playwright/test';
import { DEMO_PATH, DEMO_URL, sha256Of } from './fixtures';
import { greedyIds, recordRequests, shot, waitModelReady } from './util';

test('download, reload offline from the cache, generate, delete', async ({ page, context }, info) => {
  test.skip(info.project.name !== 'isolated', 'not about isolation');
  await page.goto('/');
  await waitModelReady(page);
  await expect(page.locator('#model-label')).toHaveAttribute('data-from-cache', 'false');
  const want = sha256Of(DEMO_PATH);
  await expect(page.locator('#hdr-sha')).toHaveText(want);
  const entry = page.locator('#cache-list li', { hasText: DEMO_URL });
  await expect(entry).toHaveAttribute('data-complete', 'true');
  await shot(page, info, 'cache-downloaded');

  const blocked = await recordRequests(context, DEMO_URL, { block: true });
  await page.reload();
  await waitModelReady(page);
  await expect(page.locator('#model-label')).toHaveAttribute('data-from-cache', 'true');
  await expect(page.locator('#model-label')).toContainText('from the cache');
  await expect(page.locator('#hdr-sha')).toHaveText(want);
  expect(blocked).toEqual([]);
  expect((await greedyIds(page, 'Offline', 4)).length).toBeGreaterThan(0);
  await shot(page, info, 'cache-hit-offline');

  await entry.locator('button.cache-delete').click();
  await expect(page.locator('#cache-list li', { hasText: DEMO_URL })).toHaveCount(0);
  await page.reload();
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'error');
  expect(blocked.length).toBeGreaterThan(0); // the route saw the worker's request: it would have gone out
});
