// The web studio's in-browser page (local.html): the shipped model runs in this browser on the TypeScript
// kernels, in a Web Worker (worker.ts), with no server call but the static files; and the training
// curves of the shipped model are plotted (plots.ts). createLocalStudio is the API (the page and tests
// use it); the page's elements are wired by mountPage when they exist.
import type { LocalOptions } from './engine.js';
import { type Curves, renderCurves } from './plots.js';
import type { FromWorker, ToWorker } from './protocol.js';

export type { LocalOptions } from './engine.js';
export { type Curves, renderCurves } from './plots.js';

export interface GenerateResult {
  /** RGB bytes of each image, imageSize x imageSize x 3. */
  images: Uint8Array[];
  imageSize: number;
  /** Milliseconds the worker spent sampling and decoding. */
  ms: number;
}

export interface LocalStudio {
  /** Fetches and builds the model (once; later calls wait for the same load). */
  load(): Promise<{ bytes: number; ms: number; imageSize: number }>;
  generate(
    prompt: string,
    options?: LocalOptions,
    onProgress?: (done: number, total: number) => void,
  ): Promise<GenerateResult>;
}

/** The in-browser model at `modelBase` (a folder URL), run by the worker script at `workerUrl`. */
export function createLocalStudio(
  modelBase: string,
  workerUrl: string | URL = new URL('worker.js', import.meta.url),
): LocalStudio {
  const worker = new Worker(workerUrl, { type: 'module' });
  let onMessage: (m: FromWorker) => void = () => {};
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => onMessage({ type: 'error', message: `the model worker failed: ${e.message}` });
  // one request at a time: each waits for the one before it
  let queue: Promise<unknown> = Promise.resolve();
  const request = <T>(m: ToWorker, done: (r: FromWorker) => T | undefined, progress?: (r: FromWorker) => void) => {
    const next = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          onMessage = (r) => {
            if (r.type === 'error') reject(new Error(r.message));
            else if (r.type === 'progress') progress?.(r);
            else {
              const v = done(r);
              if (v !== undefined) resolve(v);
            }
          };
          worker.postMessage(m);
        }),
    );
    queue = next.catch(() => {});
    return next;
  };
  let info: { imageSize: number } | null = null;
  let loading: Promise<{ bytes: number; ms: number; imageSize: number }> | null = null;
  const load = () => {
    loading ??= request({ type: 'load', base: new URL(modelBase, location.href).href }, (r) => {
      if (r.type !== 'loaded') return undefined;
      info = { imageSize: r.imageSize };
      return { bytes: r.bytes, ms: r.ms, imageSize: r.imageSize };
    });
    return loading;
  };
  return {
    load,
    generate: async (prompt, options = {}, onProgress) => {
      await load();
      return request(
        { type: 'generate', prompt, options },
        (r) => (r.type === 'images' ? { images: r.images, ms: r.ms, imageSize: info!.imageSize } : undefined),
        (r) => r.type === 'progress' && onProgress?.(r.done, r.total),
      );
    },
  };
}

/** Paints RGB bytes onto a canvas of the image's size (CSS scales it up, pixelated). */
export function paintImage(canvas: HTMLCanvasElement, rgb: Uint8Array, size: number): void {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context');
  const img = ctx.createImageData(size, size);
  for (let i = 0, j = 0; i < size * size; i++, j += 3) {
    img.data[4 * i] = rgb[j];
    img.data[4 * i + 1] = rgb[j + 1];
    img.data[4 * i + 2] = rgb[j + 2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`local.html has no #${id}`);
  return e as T;
}

/** Wires local.html: the prompt box, the Generate button, the canvas, the progress line, the curves. */
async function mountPage(): Promise<void> {
  const base = document.body.dataset.model ?? 'model/tessera-default/';
  const studio = createLocalStudio(base);
  const state = (s: string) => {
    document.body.dataset.state = s;
  };
  const progress = element<HTMLElement>('progress');
  const button = element<HTMLButtonElement>('generate');
  const exposed = { studio, plot: null as ReturnType<typeof renderCurves> | null, last: null as GenerateResult | null };
  (window as unknown as { tessera: typeof exposed }).tessera = exposed;
  button.addEventListener('click', async () => {
    button.disabled = true;
    state('busy');
    progress.textContent = 'loading the model...';
    try {
      const seed = Number(element<HTMLInputElement>('seed').value || 0);
      const prompt = element<HTMLInputElement>('prompt').value;
      const r = await studio.generate(prompt, { seed }, (done, total) => {
        progress.textContent = `sampling code ${done} / ${total}`;
      });
      paintImage(element<HTMLCanvasElement>('out'), r.images[0], r.imageSize);
      exposed.last = r;
      progress.textContent = `done: ${r.ms.toFixed(0)} ms for the image (seed ${seed})`;
      state('done');
    } catch (e) {
      progress.textContent = `error: ${(e as Error).message}`;
      state('error');
    } finally {
      button.disabled = false;
    }
  });
  studio.load().then(
    (r) => {
      progress.textContent = `model loaded: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms.toFixed(0)} ms; ready`;
      if (document.body.dataset.state === undefined) state('ready');
    },
    (e: Error) => {
      progress.textContent = `error: ${e.message}`;
      state('error');
    },
  );
  const r = await fetch(new URL('train-curves.json', new URL(base, location.href)));
  if (!r.ok) throw new Error(`train-curves.json: HTTP ${r.status}`);
  exposed.plot = renderCurves(element<HTMLElement>('curves'), (await r.json()) as Curves);
  document.body.dataset.curves = 'drawn';
}

if (typeof document !== 'undefined' && document.getElementById('generate')) {
  mountPage().catch((e: Error) => {
    document.body.dataset.curves = `error: ${e.message}`;
  });
}
