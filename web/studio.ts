// The web studio page (studio.html, served at / by `tessera serve`): plain DOM over the server's API.
// Generate streams a grid of 4 variants (partial images as they are drawn); picking one (or uploading a
// PNG) starts a session whose first turn is that image; Edit sends an instruction as a streamed turn; the
// history strip is the path to the head, each turn clickable to branch from it; Undo moves the head back.
// Each variant can be rated, and variants 1 and 2 compared (A/B), into /v1/feedback. The training curves
// are plotted with plots.ts. The in-browser mode draws with the existing local engine (local.ts: a Web
// Worker on the TypeScript kernels), with no server model call. window.tessera exposes state for tests.
import { createLocalStudio, type LocalStudio, paintImage } from './local.js';
import { type Benchmark, type Curves, renderBenchmark, renderCurves } from './plots.js';

type Mode = 'server' | 'in-browser';

interface TurnView {
  id: number;
  parent: number | null;
  input: { text?: string; image?: { url: string } };
  output: ({ kind: 'text'; text: string } | { kind: 'image'; url: string })[];
}

interface SessionView {
  id: string;
  head: number | null;
  path: number[];
  turns: TurnView[];
}

/** What the page exposes for tests and the console. */
interface Exposed {
  mode: Mode;
  requestId: string | null;
  partials: number;
  session: SessionView | null;
  plot: ReturnType<typeof renderCurves> | null;
  benchmark: ReturnType<typeof renderBenchmark> | null;
  local: LocalStudio | null;
}

const exposed: Exposed = {
  mode: 'server',
  requestId: null,
  partials: 0,
  session: null,
  plot: null,
  benchmark: null,
  local: null,
};
const MODEL = document.body.dataset.model ?? 'tessera-default';
const N = 4;

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`studio.html has no #${id}`);
  return e as T;
}

const setState = (s: string) => {
  document.body.dataset.state = s;
};
const say = (id: string, text: string) => {
  element(id).textContent = text;
};

/** The error message of a non-2xx answer (the API's {error: {message}}), or the status line. */
async function failure(r: Response): Promise<Error> {
  const body = await r.text();
  try {
    return new Error(`HTTP ${r.status}: ${(JSON.parse(body) as { error: { message: string } }).error.message}`);
  } catch {
    return new Error(`HTTP ${r.status} ${r.statusText}: ${body.slice(0, 200)}`);
  }
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw await failure(r);
  return (await r.json()) as T;
}

/** POSTs JSON and reads the answer as server-sent events, calling onEvent for each (event, parsed data). */
async function postSse(url: string, body: unknown, onEvent: (event: string, data: unknown) => void): Promise<void> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
  });
  if (!r.ok || !r.body) throw await failure(r);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length === 0) continue;
      const parsed = JSON.parse(data.join('\n')) as unknown;
      if (event === 'error') throw new Error((parsed as { error?: { message?: string } }).error?.message ?? block);
      onEvent(event, parsed);
    }
  }
}

/** Runs one user action: the page is busy while it runs, and an error is shown on `line`. */
async function action(line: string, fn: () => Promise<void>): Promise<void> {
  setState('busy');
  for (const b of document.querySelectorAll<HTMLButtonElement>('button')) b.disabled = true;
  try {
    await fn();
    setState('ready');
  } catch (e) {
    say(line, `error: ${(e as Error).message}`);
    setState('error');
  } finally {
    for (const b of document.querySelectorAll<HTMLButtonElement>('button')) b.disabled = false;
  }
}

// ---- the variant grid ----

/** Empty cards for n variants; each has an image and (in server mode) rating and pick buttons. */
function makeGrid(n: number, server: boolean): HTMLImageElement[] {
  const grid = element('grid');
  grid.replaceChildren();
  const images: HTMLImageElement[] = [];
  for (let i = 0; i < n; i++) {
    const card = document.createElement('div');
    card.className = 'variant';
    card.dataset.index = String(i);
    const img = document.createElement('img');
    img.alt = `variant ${i + 1}`;
    card.append(img, document.createTextNode(`variant ${i + 1}`), document.createElement('br'));
    if (server) {
      card.append(
        button('up', `rate-up-${i}`, () => rate(i, 'up')),
        button('down', `rate-down-${i}`, () => rate(i, 'down')),
        button('pick', `pick-${i}`, () => pickVariant(img)),
      );
    }
    grid.append(card);
    images.push(img);
  }
  element('ab').hidden = !server || n < 2;
  return images;
}

function button(label: string, id: string, onClick: () => Promise<void>): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.id = id;
  b.textContent = label;
  b.addEventListener('click', () => void action('feedback-status', onClick));
  return b;
}

/** Generate in server mode: POST /v1/images/generations with stream, partial images shown as they come. */
async function generateOnServer(prompt: string, seed: number): Promise<void> {
  const images = makeGrid(N, true);
  exposed.requestId = null;
  exposed.partials = 0;
  say('progress', 'asking the server...');
  say('prompt-note', '');
  let completed = 0;
  await postSse('/v1/images/generations', { prompt, n: N, seed, stream: true, model: MODEL }, (event, data) => {
    const d = data as {
      b64_json: string;
      index: number;
      request_id?: string;
      progress?: { done: number; total: number };
      prompt?: { sent: string; canonicalized: boolean; notices: string[] };
    };
    images[d.index].src = `data:image/png;base64,${d.b64_json}`;
    if (event === 'image_generation.partial_image') {
      exposed.partials++;
      say('progress', `drawing: ${d.progress?.done ?? '?'} / ${d.progress?.total ?? '?'} codes (partial images)`);
    } else if (event === 'image_generation.completed') {
      completed++;
      exposed.requestId = d.request_id ?? null;
      say('progress', `done: ${completed} / ${N} variants (request ${d.request_id})`);
      if (d.prompt) say('prompt-note', promptNote(d.prompt));
    }
  });
  if (completed !== N) throw new Error(`the server sent ${completed} of ${N} variants`);
  document.body.dataset.grid = 'server';
}

/** What the server's prompt reader did: the trained phrasing it sent, and what the model cannot draw. */
function promptNote(p: { sent: string; canonicalized: boolean; notices: string[] }): string {
  const sent = p.canonicalized ? `sent in the trained phrasing: "${p.sent}"` : 'sent as written';
  return [sent, ...p.notices].join('; ');
}

/** Generate in-browser: the local engine (a Web Worker), no server model call; no feedback (no request). */
async function generateLocally(prompt: string, seed: number): Promise<void> {
  exposed.local ??= createLocalStudio(`/studio/model/${MODEL}/`, '/studio/worker.js');
  makeGrid(N, false);
  say('progress', 'loading the model into this browser...');
  const r = await exposed.local.generate(prompt, { seed, n: N }, (done, total) => {
    say('progress', `drawing in this browser: ${done} / ${total} codes`);
  });
  const cards = element('grid').querySelectorAll<HTMLElement>('.variant');
  r.images.forEach((rgb, i) => {
    const canvas = document.createElement('canvas');
    paintImage(canvas, rgb, r.imageSize);
    cards[i].querySelector('img')?.replaceWith(canvas);
  });
  say('progress', `done in this browser: ${r.images.length} variants in ${r.ms.toFixed(0)} ms (seed ${seed})`);
  document.body.dataset.grid = 'in-browser';
}

// ---- feedback ----

async function rate(index: number, rating: 'up' | 'down'): Promise<void> {
  if (!exposed.requestId) throw new Error('no server request to rate yet');
  await postJson('/v1/feedback', { kind: 'rating', request_id: exposed.requestId, index, rating });
  say('feedback-status', `thanks: variant ${index + 1} rated thumbs ${rating} (stored)`);
}

async function choose(picked: 'a' | 'b' | 'tie'): Promise<void> {
  if (!exposed.requestId) throw new Error('no server request to compare yet');
  await postJson('/v1/feedback', { kind: 'choice', request_id: exposed.requestId, a: 0, b: 1, picked });
  say('feedback-status', `thanks: A/B choice "${picked}" between variants 1 and 2 (stored)`);
}

// ---- sessions ----

/** The base64 of an <img>'s PNG data URL, or of a fetched image URL. */
async function pngBase64(src: string): Promise<string> {
  if (src.startsWith('data:image/png;base64,')) return src.slice('data:image/png;base64,'.length);
  const bytes = new Uint8Array(await (await fetch(src)).arrayBuffer());
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Starts a session whose first turn is the image (no text): the model says what it sees. */
async function startSession(png: string): Promise<void> {
  const seed = Number(element<HTMLInputElement>('seed').value || 0);
  const s = await postJson<SessionView>('/v1/sessions', { model: MODEL, seed });
  element('session-section').hidden = false;
  await turn(s.id, { image: png, mode: 'text' }, 'reading the image');
}

async function pickVariant(img: HTMLImageElement): Promise<void> {
  if (!img.src) throw new Error('that variant is not drawn yet');
  await startSession(await pngBase64(img.src));
}

/** One streamed turn; the session view is then redrawn. */
async function turn(id: string, body: Record<string, unknown>, doing: string): Promise<void> {
  say('session-status', `${doing}...`);
  let got: SessionView | null = null;
  let prompt: { sent: string; canonicalized: boolean; notices: string[] } | null = null;
  say('turn-note', '');
  await postSse(`/v1/sessions/${id}/turns?stream=true`, body, (event, data) => {
    if (event === 'progress') {
      const p = data as { kind: string; done: number; total: number | null };
      say('session-status', `${doing}: ${p.kind} ${p.done}${p.total === null ? '' : ` / ${p.total}`}`);
    } else if (event === 'turn') ({ session: got, prompt } = data as { session: SessionView; prompt: typeof prompt });
  });
  if (!got) throw new Error('the turn stream ended without a turn');
  showSession(got);
  // what the instruction reader made of the turn's text (nothing for a turn without text)
  if (prompt) say('turn-note', promptNote(prompt));
}

/** The latest image on the path up to and including turn `id`: an output image, else an input image. */
function imageAt(s: SessionView, id: number): string | null {
  const byId = new Map(s.turns.map((t) => [t.id, t]));
  for (let t = byId.get(id); t; t = t.parent === null ? undefined : byId.get(t.parent)) {
    const out = [...t.output].reverse().find((o) => o.kind === 'image');
    if (out && out.kind === 'image') return out.url;
    if (t.input.image) return t.input.image.url;
  }
  return null;
}

function showSession(s: SessionView): void {
  exposed.session = s;
  const head = s.head === null ? null : s.turns.find((t) => t.id === s.head);
  const headUrl = s.head === null ? null : imageAt(s, s.head);
  const img = element<HTMLImageElement>('head-image');
  if (headUrl) img.src = headUrl;
  const text = head?.output.find((o) => o.kind === 'text');
  say('reply', text && text.kind === 'text' ? `model: ${text.text}` : '');
  say('session-status', `session ${s.id}: ${s.path.length} turn(s) to the head (turn ${s.head ?? 'none'})`);
  const strip = element('strip');
  strip.replaceChildren();
  for (const id of s.path) {
    const t = s.turns.find((x) => x.id === id);
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.turn = String(id);
    b.title = `turn ${id}${t?.input.text ? `: ${t.input.text}` : ''} (click to branch from it)`;
    if (id === s.head) b.className = 'head';
    const thumb = document.createElement('img');
    thumb.alt = `turn ${id}`;
    const url = imageAt(s, id);
    if (url) thumb.src = url;
    const label = document.createElement('span');
    label.textContent = `#${id} ${t?.input.text ?? '(image)'}`;
    b.append(thumb, label);
    b.addEventListener('click', () =>
      action('session-status', async () =>
        showSession(await postJson<SessionView>(`/v1/sessions/${s.id}/branch`, { from: id })),
      ),
    );
    strip.append(b);
  }
}

// ---- the mode switch, the curves, the wiring ----

function setMode(mode: Mode): void {
  exposed.mode = mode;
  document.body.dataset.mode = mode;
  say(
    'mode-line',
    mode === 'server'
      ? 'mode: server (the model runs in tessera serve)'
      : 'mode: in-browser (TypeScript kernels in this browser, no server model call)',
  );
  // sessions and feedback are server features: hidden while drawing in this browser
  element('session-section').hidden = mode !== 'server' || exposed.session === null;
  element<HTMLInputElement>('upload').disabled = mode !== 'server';
  element('grid').replaceChildren();
  element('ab').hidden = true;
  say('feedback-status', '');
  say('progress', '');
}

async function showCurves(): Promise<void> {
  const r = await fetch(`/studio/model/${MODEL}/train-curves.json`);
  if (!r.ok) throw new Error(`train-curves.json: HTTP ${r.status}`);
  const curves = (await r.json()) as Curves;
  exposed.plot = renderCurves(element('curves'), curves);
  const models = (await (await fetch('/v1/models')).json()) as {
    data: { id: string; tessera: { parameters: number; image_size: number; context: number } }[];
  };
  const m = models.data.find((x) => x.id === MODEL);
  say(
    'curves-status',
    `${curves.source}` +
      (m ? `; model ${m.id}: ${(m.tessera.parameters / 1e6).toFixed(2)} M parameters, ` : '') +
      (m ? `${m.tessera.image_size}x${m.tessera.image_size} images, context ${m.tessera.context}` : ''),
  );
  document.body.dataset.curves = 'drawn';
  const e = await fetch(`/studio/model/${MODEL}/eval.json`);
  if (e.ok) {
    const bench = (await e.json()) as Benchmark;
    exposed.benchmark = renderBenchmark(element('benchmark'), bench);
    say('benchmark-status', bench.source);
    document.body.dataset.benchmark = 'drawn';
  } else say('benchmark-status', `no benchmark for ${MODEL} (eval.json: HTTP ${e.status})`);
}

function mount(): void {
  (window as unknown as { tessera: Exposed }).tessera = exposed;
  setMode('server');
  element('mode-server').addEventListener('change', () => setMode('server'));
  element('mode-local').addEventListener('change', () => setMode('in-browser'));
  element('gen').addEventListener('click', () =>
    action('progress', () => {
      const prompt = element<HTMLInputElement>('prompt').value;
      const seed = Number(element<HTMLInputElement>('seed').value || 0);
      return exposed.mode === 'server' ? generateOnServer(prompt, seed) : generateLocally(prompt, seed);
    }),
  );
  element('pick-a').addEventListener('click', () => action('feedback-status', () => choose('a')));
  element('pick-b').addEventListener('click', () => action('feedback-status', () => choose('b')));
  element('pick-tie').addEventListener('click', () => action('feedback-status', () => choose('tie')));
  element('edit').addEventListener('click', () =>
    action('session-status', async () => {
      const s = exposed.session;
      if (!s) throw new Error('pick a variant or upload a PNG first');
      await turn(s.id, { text: element<HTMLInputElement>('instruction').value, mode: 'image' }, 'editing');
    }),
  );
  element('undo').addEventListener('click', () =>
    action('session-status', async () => {
      const s = exposed.session;
      if (!s) throw new Error('no session to undo in');
      showSession(await postJson<SessionView>(`/v1/sessions/${s.id}/undo`, {}));
    }),
  );
  element<HTMLInputElement>('upload').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    void action('session-status', async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let s = '';
      for (const b of bytes) s += String.fromCharCode(b);
      await startSession(btoa(s));
    });
  });
  showCurves().catch((e: Error) => {
    say('curves-status', `error: ${e.message}`);
    document.body.dataset.curves = `error: ${e.message}`;
  });
  setState('ready');
}

mount();
