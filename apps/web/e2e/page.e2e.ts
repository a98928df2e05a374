// End-to-end tests of the demo page in Chromium, run against both dev servers (projects
// 'isolated' and 'no-isolation'): the page loads without console errors, the capability report is
// right for the server, the wasm kernels load in the worker, a model's header is read (URL and
// file picker), and the default demo model opens when it has been built.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { FIXTURE_ARCH, FIXTURE_DIR, FIXTURE_NAME, TINY_GGUF } from './fixtures';
import { join } from 'node:path';

/** Collects console errors and uncaught exceptions of the page and its workers. */
function watchErrors(page: Page): string[] {
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

async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

test('the page loads, reports its capabilities, loads the kernels and has no console errors', async ({ page }, info) => {
  const errors = watchErrors(page);
  const isolated = info.project.name === 'isolated';
  await page.goto(`/?model=/e2e/${TINY_GGUF}`);
  await expect(page).toHaveTitle(/bitnet-wasm/);
  await expect(page.locator('#caps')).toHaveAttribute('data-ready', 'true');

  await expect(page.locator('#cap-simd')).toHaveAttribute('data-state', 'on');
  await expect(page.locator('#cap-kernels')).toHaveAttribute('data-state', 'on');
  await expect(page.locator('#cap-kernels .cap-value')).toContainText('simd128');
  if (isolated) {
    await expect(page.locator('#cap-isolated')).toHaveAttribute('data-state', 'on');
    await expect(page.locator('#cap-threads')).toHaveAttribute('data-state', 'on');
    await expect(page.locator('#cap-kernels .cap-value')).toContainText('mt');
    await expect(page.locator('#cap-kernels .cap-value')).toContainText('threads');
    await expect(page.locator('#cap-threads-reason')).toBeEmpty();
  } else {
    await expect(page.locator('#cap-isolated')).toHaveAttribute('data-state', 'off');
    await expect(page.locator('#cap-threads')).toHaveAttribute('data-state', 'off');
    await expect(page.locator('#cap-kernels .cap-value')).toHaveText(/^st · /);
    await expect(page.locator('#cap-threads-reason')).toContainText('cross-origin isolated');
  }
  const inPage = await page.evaluate(() => ({ coi: self.crossOriginIsolated, sab: typeof SharedArrayBuffer }));
  expect(inPage.coi).toBe(isolated);

  // the ?model= file is downloaded, cached and its header read
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#hdr-arch')).toHaveText(FIXTURE_ARCH);
  await expect(page.locator('#hdr-name')).toHaveText(FIXTURE_NAME);
  await expect(page.locator('#hdr-types')).toHaveText('I2_S ×1, F32 ×1');
  await expect(page.locator('#hdr-params')).toHaveText('1.0 K'); // 256*4 + 16
  await expect(page.locator('#progress')).toBeHidden();
  await shot(page, info, `loaded-${info.project.name}`);
  expect(errors).toEqual([]);
});

test('a model picked with the file input is read without the network', async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.goto(`/?model=/e2e/${TINY_GGUF}`);
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'ready');
  await page.locator('#model-file').setInputFiles(join(FIXTURE_DIR, TINY_GGUF));
  await expect(page.locator('#model-label')).toContainText(`${TINY_GGUF} —`);
  await expect(page.locator('#model-label')).toContainText('from a local file');
  await expect(page.locator('#hdr-arch')).toHaveText(FIXTURE_ARCH);
  await shot(page, info, `file-${info.project.name}`);
  expect(errors).toEqual([]);
});

test('a missing model is reported as an error with its HTTP status', async ({ page }, info) => {
  await page.goto('/?model=/e2e/does-not-exist.gguf');
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'error');
  await expect(page.locator('#status')).toHaveAttribute('data-level', 'error');
  await expect(page.locator('#status')).toContainText('HTTP 404');
  await shot(page, info, `missing-${info.project.name}`);
});

test('the page opens with the demo model, honestly labelled', async ({ page, request }, info) => {
  const head = await request.head('/models/demo.gguf');
  test.skip(head.status() === 404, 'models/demo.gguf is not built (the tools-models:demo target)');
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.locator('#model-url')).toHaveValue('/models/demo.gguf');
  await expect(page.locator('#model-label')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('#model-label')).toContainText('random-weight demo model (generated by tools/models) — its output is gibberish by design');
  await expect(page.locator('#hdr-arch')).not.toHaveText('—');
  await shot(page, info, `demo-${info.project.name}`);
  expect(errors).toEqual([]);
});
