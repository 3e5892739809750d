// The shipped model in a real headless Chromium (web/local.html + the bundle that npm run build:web made):
// typing a prompt and pressing Generate draws, on the page's canvas, exactly the pixels generateImages
// gives in Node on the TypeScript kernels for the same prompt and seed; the page asked only for static
// files (no server model call); and the training curves are plotted with a logarithmic loss axis.
// Screenshots: studio-local.png and studio-curves.png (into docs/images/ with TESSERA_SCREENSHOTS=1).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generateImages } from '../../src/infer/index.js';
import { defaultModelDir, loadModel, MODEL_FILES } from '../../src/model/index.js';
import { jsKernels, kernels, packageRoot, useKernels } from '../../src/tensor/index.js';
import { browserTest, screenshotDir } from '../helpers/browser.js';
import { type Served, serveStatic } from '../helpers/static-server.js';

const root = packageRoot();
const bundle = join(root, 'dist', 'web');
const shots = screenshotDir();
const PROMPT = 'a blue square in the bottom right';
const SEED = 3;

/** The studio's files over loopback: the page and bundle, and the model folder under it. */
async function serveStudio(): Promise<Served> {
  for (const f of ['local.html', 'local.js', 'worker.js'])
    assert.ok(existsSync(join(bundle, f)), `${join(bundle, f)} is missing: run npm run build (or npm run build:web)`);
  return serveStatic({ '/studio/': bundle, '/studio/model/tessera-default/': defaultModelDir() });
}

/** Opens the page, failing the test on any page error; records every URL the page (and its worker) asked for. */
async function openStudio(browser: Browser, served: Served): Promise<{ page: Page; urls: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => urls.push(`${r.method()} ${r.url()}`));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${served.origin}/studio/local.html`);
  return { page, urls, errors };
}

/** Waits until the body's data-state is `want`; an error state fails with the page's progress line. */
async function waitState(page: Page, want: string): Promise<void> {
  await page.waitForFunction((w) => ['error', w].includes(document.body.dataset.state ?? ''), want, {
    timeout: 90_000,
  });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state === 'error') assert.fail(`the page failed: ${await page.textContent('#progress')}`);
}

/** The canvas's pixels as RGB bytes (the canvas is the image's own size; CSS scales it up). */
async function canvasRgb(page: Page): Promise<{ size: number; rgb: number[] }> {
  return page.evaluate(() => {
    const c = document.getElementById('out') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const rgb: number[] = [];
    for (let i = 0; i < d.length; i += 4) rgb.push(d[i], d[i + 1], d[i + 2]);
    return { size: c.width, rgb };
  });
}

/** What Node draws for the prompt on the TypeScript kernels (the backend the browser runs). */
function nodeImage(prompt: string, seed: number): Uint8Array {
  const before = kernels();
  useKernels(jsKernels);
  try {
    const { model, tok } = loadModel(defaultModelDir());
    return generateImages(model, tok, prompt, { seed })[0].data;
  } finally {
    useKernels(before);
  }
}

browserTest('the page draws the same pixels as Node, from static files only', async (browser) => {
  const served = await serveStudio();
  try {
    const { page, urls, errors } = await openStudio(browser, served);
    assert.equal(await page.textContent('#mode'), 'mode: in-browser (TypeScript kernels, no server call)');
    await waitState(page, 'ready');
    console.log(`in-browser ${await page.textContent('#progress')}`);
    await page.fill('#prompt', PROMPT);
    await page.fill('#seed', String(SEED));
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      await page.evaluate(() => {
        document.body.dataset.state = 'asked';
      });
      await page.click('#generate');
      await waitState(page, 'done');
      times.push(
        await page.evaluate(() => (window as unknown as { tessera: { last: { ms: number } } }).tessera.last.ms),
      );
    }
    assert.match((await page.textContent('#progress')) ?? '', /^done: \d+ ms for the image \(seed 3\)$/);
    const got = await canvasRgb(page);
    const want = nodeImage(PROMPT, SEED);
    assert.equal(got.size, 64);
    assert.equal(got.rgb.length, want.length);
    const differ = got.rgb.findIndex((v, i) => v !== want[i]);
    assert.equal(differ, -1, `the canvas differs from Node's image first at byte ${differ}`);
    console.log(`in-browser generation: ${times.map((t) => t.toFixed(0)).join(' ms, ')} ms per image (first, warm)`);
    mkdirSync(shots, { recursive: true });
    await page.locator('#local').screenshot({ path: join(shots, 'studio-local.png') });
    // only static files: GETs of the page, its bundle and the model's files, all on this server
    const allowed = new Set([
      '/studio/local.html',
      '/studio/local.js',
      '/studio/local.css',
      '/studio/worker.js',
      '/studio/model/tessera-default/train-curves.json',
      ...MODEL_FILES.map((f) => `/studio/model/tessera-default/${f}`),
    ]);
    for (const r of served.requests) {
      assert.equal(r.method, 'GET', `${r.method} ${r.path}`);
      assert.ok(allowed.has(r.path) || r.path.endsWith('.map'), `an unexpected request: ${r.path}`);
      assert.equal(r.status, 200, r.path);
    }
    for (const u of urls) assert.ok(u.startsWith(`GET ${served.origin}/studio/`), `the page asked for ${u}`);
    assert.ok(served.requests.some((r) => r.path.endsWith('/weights.safetensors')));
    assert.deepEqual(errors, []);
  } finally {
    await served.close();
  }
});

browserTest('the page plots the training curves on a logarithmic loss axis', async (browser) => {
  const served = await serveStudio();
  try {
    const { page, errors } = await openStudio(browser, served);
    await page.waitForFunction(() => document.body.dataset.curves !== undefined, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.curves), 'drawn');
    assert.ok((await page.locator('#curves canvas').count()) > 0, 'the plot has a canvas');
    const plot = await page.evaluate(() => {
      const p = (window as unknown as { tessera: { plot: { scales: { y: { distr: number } }; series: unknown[] } } })
        .tessera.plot;
      return { distr: p.scales.y.distr, series: p.series.length };
    });
    assert.equal(plot.distr, 3, 'the loss axis is logarithmic (uPlot distr 3)');
    const shipped = JSON.parse(
      readFileSync(join(packageRoot(), 'models', 'tessera-default', 'train-curves.json'), 'utf8'),
    ) as { series: unknown[] };
    assert.equal(plot.series, 1 + shipped.series.length, 'step and every loss series of train-curves.json');
    mkdirSync(shots, { recursive: true });
    await page.locator('#curves-section').screenshot({ path: join(shots, 'studio-curves.png') });
    assert.deepEqual(errors, []);
  } finally {
    await served.close();
  }
});
