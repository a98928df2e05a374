// Shared steps of the e2e tests: console-error watch, screenshots as artifacts, waiting for a model,
// a greedy raw completion through the chat form, and a recorder of the requests for one URL path.
import { expect, type BrowserContext, type Page, type TestInfo } from '@playwright/test';

/** Collects console errors and uncaught exceptions of the page and its workers. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => {
    w.on('console', (m) => {
      if (m.type() === 'error') errors.push(`worker console: ${m.text()}`);
    });
  });
  return errors;
}

/** A full-page screenshot saved and attached to the test's artifacts. */
export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

/** Waits until a model is loaded and the chat accepts input; fails early with the page's status line on a load error. */
export async function waitModelReady(page: Page, timeout = 90_000): Promise<void> {
  const label = page.locator('#model-label');
  await expect(label).toHaveAttribute('data-state', /^(ready|error)$/, { timeout });
  if ((await label.getAttribute('data-state')) === 'error') {
    throw new Error(`the model did not load: ${await label.textContent()} — status: ${await page.locator('#status').textContent()}`);
  }
  await expect(page.locator('#chat')).toHaveAttribute('data-ready', 'true');
}

/** Sets the sampling panel (opens it). */
export async function setSampling(page: Page, s: { raw?: boolean; temperature?: number; repeatPenalty?: number; maxTokens?: number; seed?: number }): Promise<void> {
  const details = page.locator('details.sampling');
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  if (s.raw !== undefined) await page.locator('#raw-mode').setChecked(s.raw);
  if (s.temperature !== undefined) await page.locator('#temperature').fill(String(s.temperature));
  if (s.repeatPenalty !== undefined) await page.locator('#repeat-penalty').fill(String(s.repeatPenalty));
  if (s.maxTokens !== undefined) await page.locator('#max-tokens').fill(String(s.maxTokens));
  if (s.seed !== undefined) await page.locator('#seed').fill(String(s.seed));
}

/** Sends `text` and waits for the reply; returns its token ids, stop reason and text. */
export async function sendAndWait(page: Page, text: string, timeout = 60_000): Promise<{ ids: number[]; stopReason: string; text: string }> {
  const replies = page.locator('#messages li.assistant');
  const before = await replies.count();
  await page.locator('#chat-input').fill(text);
  await page.locator('#send').click();
  await expect(replies).toHaveCount(before + 1, { timeout });
  const li = replies.nth(before);
  const ids = ((await li.getAttribute('data-token-ids')) ?? '').split(',').filter(Boolean).map(Number);
  return { ids, stopReason: (await li.getAttribute('data-stop-reason')) ?? '', text: (await li.textContent()) ?? '' };
}

/** Greedy raw completion (temperature 0, no repetition penalty, no chat template) of `n` tokens. */
export async function greedyIds(page: Page, prompt: string, n: number): Promise<number[]> {
  await setSampling(page, { raw: true, temperature: 0, repeatPenalty: 1, maxTokens: n });
  return (await sendAndWait(page, prompt)).ids;
}

/** Raw completion with every sampling setting of the panel given. */
export async function sampledIds(
  page: Page,
  prompt: string,
  n: number,
  s: { temperature: number; topK: number; topP: number; minP: number; repeatPenalty: number; seed: number },
): Promise<number[]> {
  await setSampling(page, { raw: true, temperature: s.temperature, repeatPenalty: s.repeatPenalty, maxTokens: n, seed: s.seed });
  await page.locator('#top-k').fill(String(s.topK));
  await page.locator('#top-p').fill(String(s.topP));
  await page.locator('#min-p').fill(String(s.minP));
  return (await sendAndWait(page, prompt)).ids;
}

export interface SeenRequest {
  url: string;
  range: string | undefined;
}

/**
 * Records every request (page and worker) whose path is `path`; `block` makes them fail as if offline.
 * Returns the live list.
 */
export async function recordRequests(context: BrowserContext, path: string, opts: { block?: boolean } = {}): Promise<SeenRequest[]> {
  const seen: SeenRequest[] = [];
  await context.route(
    (u) => u.pathname === path,
    async (route) => {
      const h = await route.request().allHeaders();
      seen.push({ url: route.request().url(), range: h['range'] });
      if (opts.block) return route.abort('internetdisconnected');
      return route.continue();
    },
  );
  return seen;
}
