// The model worker: one thread that owns the models and the live sessions, so that the server's event loop
// (health, metrics, 429s, uploads) never waits on a forward pass. It runs one job at a time, as the main
// thread sends them (the queue lives there: host.ts). Everything that draws or answers goes through the
// library's sampler and sessions (generateImages, editImage, Session.addTurn): no second copy.
//
// Live sessions keep their KV cache here, bounded by count and by cache bytes (least recently used evicted).
// A session arrives as its stored JSON with every turn job: when the live copy has the same turns it is
// used (head moved if an undo or branch happened), else the JSON is restored. Either way the next turn is the
// same (a session's rng is a function of its seed and turn id), so an evicted session continues exactly.
import { parentPort, workerData } from 'node:worker_threads';
import { encodePng, type RgbImage } from '../data/index.js';
import {
  editImage,
  generateImages,
  type Progress,
  RequestInputError,
  Session,
  SessionFileError,
  type SessionJson,
  sessionShape,
  type TurnOptions,
} from '../infer/index.js';
import { loadModel, type MultimodalModel, type Tokenizers } from '../model/index.js';
import { drawnSoFar } from '../tokenizers/index.js';
import { partialImage } from './images.js';
import type { Job, JobResult, ModelInfo, WorkerInit, WorkerMessage } from './protocol.js';

class JobTimeout extends Error {}

interface Loaded {
  info: ModelInfo;
  model: MultimodalModel;
  tok: Tokenizers;
}

const init = workerData as WorkerInit;
const models = new Map<string, Loaded>();
const live = new Map<string, { session: Session; model: string }>();
let evictions = 0;

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

function load(): void {
  for (const { id, dir } of init.models) {
    const { model, tok } = loadModel(dir);
    const c = model.config;
    const info: ModelInfo = {
      id,
      dir,
      imageSize: tok.image.imageSize,
      grid: c.imageGrid,
      codebookSize: c.imageCodebookSize,
      codesPerPatch: c.codesPerPatch,
      blockSize: c.blockSize,
      parameters: model.params.count(),
      cacheBytes: c.nLayer * 2 * c.blockSize * c.nEmbd * 4,
    };
    models.set(id, { info, model, tok });
  }
}

function engine(id: string): Loaded {
  const m = models.get(id);
  if (!m) throw new Error(`model ${id} is not loaded`);
  return m;
}

const rgb = (size: number, data: Uint8Array): RgbImage => ({ width: size, height: size, data });

/** A live session for the stored JSON: the kept one when its turns match, else restored from the JSON. */
function liveSession(json: SessionJson, model: string, keep: boolean): Session {
  if (!keep) return Session.fromJSON(json, `session ${json.id}`, sessionShape(engine(model)));
  const kept = live.get(json.id);
  live.delete(json.id); // re-inserted below: Map order is the LRU order
  let s: Session;
  if (kept && kept.model === model && kept.session.allTurns.length === json.turns.length) {
    s = kept.session;
    if (s.head !== json.head) s.branch(json.head);
  } else {
    s = Session.fromJSON(json, `session ${json.id}`, sessionShape(engine(model)));
  }
  live.set(json.id, { session: s, model });
  const bytes = (n: number) => [...live.values()].reduce((a, v) => a + engine(v.model).info.cacheBytes, 0) > n;
  while (live.size > init.maxLiveSessions || (live.size > 1 && bytes(init.maxCacheBytes))) {
    live.delete(live.keys().next().value as string);
    evictions++;
  }
  return s;
}

function run(
  job: Job,
  deadline: number,
  progress: (p: Progress, partial?: { index: number; png: Uint8Array }) => void,
): JobResult {
  const check = () => {
    if (Date.now() > deadline) throw new JobTimeout('the request ran past its time limit');
  };
  check();
  const m = engine(job.model);
  const size = m.info.imageSize;
  switch (job.kind) {
    case 'generate':
    case 'edit': {
      const cpp = m.info.codesPerPatch;
      const every = job.partials > 0 ? Math.max(1, Math.floor(m.model.codesPerImage / (job.partials + 1))) : 0;
      const onProgress = (p: Progress) => {
        check();
        if (every && p.codes && p.done % every === 0 && p.done < (p.total ?? 0) && p.done / every <= job.partials) {
          const decoded = m.tok.image.decode(p.codes.map((c) => drawnSoFar(m.tok.image, c, p.done)));
          const patches = Math.floor(p.done / cpp);
          for (const [index, d] of decoded.entries())
            progress(p, { index, png: encodePng(partialImage(rgb(size, d), patches, m.info.grid)) });
        } else progress(p);
      };
      const o = { n: job.n, seed: job.seed, temperature: job.temperature, guidance: job.guidance, onProgress };
      const images =
        job.kind === 'generate'
          ? generateImages(m.model, m.tok, job.prompt, {
              ...o,
              topK: job.topK,
              topP: job.topP,
              candidates: job.candidates,
            })
          : editImage(m.model, m.tok, rgb(size, job.image), job.prompt, { ...o, imageGuidance: job.imageGuidance });
      return { kind: 'images', images: images.map((img) => ({ png: encodePng(img), rgb: img.data })) };
    }
    case 'turn': {
      const s = liveSession(job.session, job.model, job.keep);
      const o: TurnOptions = {
        ...job.options,
        onProgress: (p) => {
          check();
          progress(p);
        },
      };
      const input = { text: job.input.text, image: job.input.image ? rgb(size, job.input.image) : undefined };
      let t: ReturnType<Session['addTurn']>;
      try {
        t = s.addTurn({ model: m.model, tok: m.tok }, input, o);
      } catch (e) {
        live.delete(job.session.id); // a half-fed cache is not kept
        throw e;
      }
      return {
        kind: 'turn',
        turn: {
          id: t.id,
          parent: t.parent,
          output: t.output.map((x) =>
            x.kind === 'text'
              ? x
              : {
                  kind: 'image',
                  png: encodePng(x.image),
                  rgb: x.image.data,
                  codes: x.codes ? [...x.codes] : undefined,
                },
          ),
        },
        cache: s.cacheStats,
      };
    }
  }
}

parentPort!.on('message', (msg: { id: number; job: Job; deadline: number }) => {
  const t0 = performance.now();
  try {
    const result = run(msg.job, msg.deadline, (p, partial) =>
      post({ id: msg.id, type: 'progress', progress: p.codes ? { ...p, codes: undefined } : p, partial }),
    );
    post({ id: msg.id, type: 'done', result, ms: performance.now() - t0, liveSessions: live.size, evictions });
  } catch (e) {
    const kind =
      e instanceof JobTimeout
        ? 'timeout'
        : e instanceof RequestInputError || e instanceof SessionFileError
          ? 'input'
          : 'internal';
    post({ id: msg.id, type: 'error', kind, message: (e as Error).message, ms: performance.now() - t0 });
  }
});

try {
  load();
  post({ type: 'ready', models: [...models.values()].map((m) => m.info) });
} catch (e) {
  post({ type: 'failed', message: (e as Error).message });
}
