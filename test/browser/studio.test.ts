// The web studio (web/studio.html at /) in a real headless Chromium against a real `tessera serve` (the
// shipped model, a temp SQLite store, loopback): generate a streamed grid of 4 (partial images seen), rate
// a variant and pick between two (both stored with the request id), pick a variant into a session, edit
// twice, undo, branch from the first turn, see the training curves on a log axis, then switch to the
// in-browser mode and draw with no POST to the server. Screenshots of each state: studio-*.png (into docs/images/ with TESSERA_SCREENSHOTS=1).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { defaultModelDir } from '../../src/model/index.js';
import { listen, startServer } from '../../src/serve/server.js';
import { browserTest, screenshotDir } from '../helpers/browser.js';

const shots = screenshotDir();

interface SessionState {
  id: string;
  head: number | null;
  path: number[];
  turns: { id: number }[];
}

/** Clicks `selector` and waits until the action it starts is over; an error state fails with the page's text. */
async function act(page: Page, selector: string): Promise<void> {
  await settle(page, selector, () => page.click(selector));
}

/** Runs `start` (a click, an upload) and waits until the page's action is over; fails on its error state. */
async function settle(page: Page, what: string, start: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await start();
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, {
    timeout: 90_000,
  });
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error')
    assert.fail(`the page failed after ${what}: ${await page.textContent('body')}`);
  console.log(`${what}: ${(performance.now() - t0).toFixed(0)} ms`);
}

const session = (page: Page) =>
  page.evaluate(() => (window as unknown as { tessera: { session: SessionState } }).tessera.session);
const stripTurns = (page: Page) =>
  page.$$eval('#strip button', (bs) => bs.map((b) => Number((b as HTMLElement).dataset.turn)));
const shot = (page: Page, selector: string, name: string) =>
  page.locator(selector).screenshot({ path: join(shots, `studio-${name}.png`) });

async function withStudio(fn: (page: Page, origin: string, errors: string[]) => Promise<void>, browser: Browser) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-studio-'));
  const server = await startServer({ models: [defaultModelDir()], store: `sqlite:${join(dir, 'studio.db')}` });
  const listening = await listen(server, 0);
  const { port } = listening;
  const origin = `http://127.0.0.1:${port}`;
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${origin}/`);
    mkdirSync(shots, { recursive: true });
    await fn(page, origin, errors);
  } finally {
    await listening.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

browserTest(
  'the studio: grid, feedback, session edits, undo, branch, curves, in-browser mode',
  (browser) =>
    withStudio(async (page, origin, errors) => {
      assert.match((await page.textContent('#mode-line')) ?? '', /^mode: server/);

      // a streamed grid of 4, partial images on the way
      await page.fill('#prompt', 'a red circle in the top left');
      await page.fill('#seed', '1');
      await act(page, '#gen');
      const srcs = await page.$$eval('#grid .variant img', (is) => is.map((i) => (i as HTMLImageElement).src));
      assert.equal(srcs.length, 4);
      for (const s of srcs) assert.match(s, /^data:image\/png;base64,/);
      const { partials, requestId } = await page.evaluate(
        () => (window as unknown as { tessera: { partials: number; requestId: string } }).tessera,
      );
      assert.ok(partials > 0, 'partial images were shown while drawing');
      assert.match((await page.textContent('#progress')) ?? '', /^done: 4 \/ 4 variants/);
      // the server's prompt reader sent the trained phrasing, and the page says so
      assert.match(
        (await page.textContent('#prompt-note')) ?? '',
        /sent in the trained phrasing: "draw a large red circle at the top left, on a white background"/,
      );
      await shot(page, '#grid-section', 'grid');

      // a thumbs-up and an A/B pick, both stored with the request id
      await act(page, '#rate-up-2');
      assert.match((await page.textContent('#feedback-status')) ?? '', /variant 3 rated/);
      await act(page, '#pick-a');
      assert.match((await page.textContent('#feedback-status')) ?? '', /A\/B choice "a"/);
      await shot(page, '#grid-section', 'feedback');
      const fb = (await (await fetch(`${origin}/v1/feedback`)).json()) as {
        data: { kind: string; requestId: string; index?: number; rating?: string; picked?: string }[];
      };
      const rating = fb.data.find((f) => f.kind === 'rating');
      const choice = fb.data.find((f) => f.kind === 'choice');
      assert.deepEqual([rating?.requestId, rating?.index, rating?.rating], [requestId, 2, 'up']);
      assert.deepEqual([choice?.requestId, choice?.picked], [requestId, 'a']);

      // pick a variant into a session, edit twice: the strip is the path to the head
      await act(page, '#pick-0');
      assert.equal((await stripTurns(page)).length, 1);
      await page.fill('#instruction', 'make it blue');
      await act(page, '#edit');
      // what the server's instruction reader made of it ("it" is the picture's shape, if it has one)
      assert.match(
        (await page.textContent('#turn-note')) ?? '',
        /^sent (in the trained phrasing: "make the .* blue"|as written)/,
      );
      await page.fill('#instruction', 'move it to the bottom right');
      await act(page, '#edit');
      const edited = await session(page);
      assert.equal(edited.path.length, 3);
      assert.deepEqual(await stripTurns(page), edited.path);
      assert.equal(await page.locator('#strip img[src]').count(), 3, 'every turn has a thumbnail');
      await shot(page, '#session-section', 'edit');

      // undo: the head moves back, the strip shortens
      await act(page, '#undo');
      const undone = await session(page);
      assert.deepEqual(undone.path, edited.path.slice(0, 2));
      assert.equal(undone.head, edited.path[1]);
      assert.deepEqual(await stripTurns(page), undone.path);
      await shot(page, '#session-section', 'undo');

      // branch from the first turn, then edit there: a new turn whose parent is the first
      await act(page, `#strip button[data-turn="${edited.path[0]}"]`);
      assert.deepEqual((await session(page)).path, [edited.path[0]]);
      await page.fill('#instruction', 'make it green');
      await act(page, '#edit');
      const branched = await session(page);
      assert.equal(branched.path.length, 2);
      assert.equal(branched.path[0], edited.path[0]);
      assert.ok(!edited.path.includes(branched.path[1]), 'the branch is a new turn');
      assert.equal(branched.turns.length, 4, 'the other branch is kept');
      await shot(page, '#session-section', 'branch');

      // upload a PNG (variant 2 of the grid): a new session whose first turn is that image
      const png = Buffer.from(srcs[1].slice('data:image/png;base64,'.length), 'base64');
      await settle(page, 'upload', () =>
        page.setInputFiles('#upload', { name: 'mine.png', mimeType: 'image/png', buffer: png }),
      );
      const uploaded = await session(page);
      assert.notEqual(uploaded.id, branched.id);
      assert.equal(uploaded.turns.length, 1);
      assert.deepEqual(await stripTurns(page), uploaded.path);

      // the training curves on a log axis
      await page.waitForFunction(() => document.body.dataset.curves !== undefined, null, { timeout: 30_000 });
      assert.equal(await page.evaluate(() => document.body.dataset.curves), 'drawn');
      assert.ok((await page.locator('#curves canvas').count()) > 0, 'the plot has a canvas');
      const distr = await page.evaluate(
        () =>
          (window as unknown as { tessera: { plot: { scales: { y: { distr: number } } } } }).tessera.plot.scales.y
            .distr,
      );
      assert.equal(distr, 3, 'the loss axis is logarithmic (uPlot distr 3)');
      // the benchmark numbers as bars: held-out beside trained, the shipped model's eval.json
      await page.waitForFunction(() => document.body.dataset.benchmark === 'drawn', null, { timeout: 30_000 });
      assert.ok((await page.locator('#benchmark canvas').count()) > 0, 'the benchmark plot has a canvas');
      const bars = await page.evaluate(
        () => (window as unknown as { tessera: { benchmark: { data: unknown[][] } } }).tessera.benchmark.data.length,
      );
      assert.equal(bars, 3, 'metric index, held-out and trained columns');
      await shot(page, '#curves-section', 'panel-curves');

      // in-browser mode: the page says so, and draws with no POST to the server
      const asked: string[] = [];
      page.on('request', (r) => asked.push(`${r.method()} ${r.url()}`));
      await page.check('#mode-local');
      assert.match((await page.textContent('#mode-line')) ?? '', /^mode: in-browser/);
      await act(page, '#gen');
      assert.equal(await page.locator('#grid .variant canvas').count(), 4);
      assert.match((await page.textContent('#progress')) ?? '', /^done in this browser: 4 variants/);
      assert.deepEqual(
        asked.filter((a) => !a.startsWith('GET ')),
        [],
        'no POST (or other model call) in the in-browser mode',
      );
      // static files only (stored images of the session above may still be loading: GETs, not model calls)
      for (const a of asked)
        assert.ok(/^GET [^ ]+\/(studio\/|v1\/images\/[0-9a-f]{64}\.png)/.test(a) && a.startsWith(`GET ${origin}/`), a);
      assert.ok(
        asked.some((a) => a.endsWith('/weights.safetensors')),
        'the weights came as a static file',
      );
      await shot(page, 'body', 'inbrowser');
      assert.deepEqual(errors, []);
    }, browser),
  180_000,
);
