// End-to-end test of the chat view on the demo model (isolated server only): streamed tokens, the
// stop button during a generation (the partial reply is kept and the model stays usable), a second
// turn of the same conversation, tokens/s, and reset.
import { expect, test } from '@playwright/test';
import { sendAndWait, setSampling, shot, waitModelReady, watchErrors } from './util';

test('chat: stream, stop mid-generation, continue the conversation, reset', async ({ page }, info) => {
  test.skip(info.project.name !== 'isolated', 'not about isolation');
  const errors = watchErrors(page);
  await page.goto('/');
  await waitModelReady(page);
  await setSampling(page, { raw: false, temperature: 0.8, maxTokens: 1500, seed: 7 });

  await page.locator('#chat-input').fill('Tell me a long story.');
  await page.locator('#send').click();
  await expect(page.locator('#chat')).toHaveAttribute('data-busy', 'true');
  await expect(page.locator('#stop')).toBeEnabled();
  // tokens stream into the page while the worker generates; the page stays responsive
  await expect.poll(async () => ((await page.locator('#streaming').textContent()) ?? '').length, { timeout: 30_000 }).toBeGreaterThan(40);
  const t0 = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  info.annotations.push({ type: 'frame during generation', description: `${Date.now() - t0} ms` });
  await shot(page, info, 'chat-streaming');
  await page.locator('#stop').click();
  const first = page.locator('#messages li.assistant').first();
  await expect(first).toHaveAttribute('data-stop-reason', 'aborted');
  await expect(first).toContainText('[stopped ·');
  await expect(page.locator('#status')).toContainText('Stopped');
  await expect(page.locator('#stop')).toBeDisabled();

  await setSampling(page, { maxTokens: 8 });
  const second = await sendAndWait(page, 'And then?');
  expect(['max_tokens', 'eog']).toContain(second.stopReason);
  await expect(page.locator('#messages li.user')).toHaveCount(2);
  await expect(page.locator('#tps-decode')).toHaveText(/^\d+\.\d$/);
  expect(Number(await page.locator('#ctx-used').textContent())).toBeGreaterThan(second.ids.length);
  await shot(page, info, 'chat-two-turns');

  await page.locator('#reset').click();
  await expect(page.locator('#messages li')).toHaveCount(0);
  await expect(page.locator('#ctx-used')).toHaveText('0');
  const third = await sendAndWait(page, 'Hi');
  expect(third.ids.length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});
