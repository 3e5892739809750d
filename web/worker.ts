// The Web Worker that holds the in-browser model (engine.ts), so that sampling (under a second an image)
// does not freeze the page and progress can be painted while it runs. Messages: see protocol.ts.
import { type LoadedModel, loadLocalModel } from './engine.js';
import type { FromWorker, ToWorker } from './protocol.js';

let model: LoadedModel | null = null;
const post = (m: FromWorker, transfer: Transferable[] = []) => postMessage(m, { transfer });

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'load') {
    model = await loadLocalModel(m.base);
    post({ type: 'loaded', imageSize: model.imageSize, bytes: model.bytes, ms: model.loadMs });
    return;
  }
  if (!model) throw new Error('the model is not loaded yet');
  const start = performance.now();
  const images = model.generate(m.prompt, m.options, (done, total) => post({ type: 'progress', done, total }));
  post(
    { type: 'images', images, ms: performance.now() - start },
    images.map((i) => i.buffer as ArrayBuffer),
  );
}

addEventListener('message', (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch((err: unknown) => post({ type: 'error', message: (err as Error).message ?? String(err) }));
});
