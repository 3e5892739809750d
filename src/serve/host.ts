// The main thread's side of the model worker: a bounded queue in front of one worker thread that runs one
// job at a time. A full queue refuses at once (429 with a Retry-After from the measured job time) rather than
// letting latency grow without bound; every job has a deadline (waiting counts), checked before it starts
// and at every drawn code; close() stops taking work and lets what was accepted finish (or, past the grace
// period, fails it with 503 so the client retries). A worker that dies fails its job and is restarted.
import { Worker } from 'node:worker_threads';
import type { Progress } from '../infer/index.js';
import { RequestError } from './images.js';
import type { Job, JobResult, ModelInfo, WorkerInit, WorkerMessage } from './protocol.js';

export interface HostOptions extends WorkerInit {
  /** Jobs waiting (besides the running one) before new ones get 429. */
  maxQueue: number;
  /** Default per-request time limit, waiting included (ms). */
  timeoutMs: number;
}

export interface JobOptions {
  timeoutMs?: number;
  onProgress?: (p: Progress, partial?: { index: number; png: Uint8Array }) => void;
}

interface Pending {
  id: number;
  job: Job;
  deadline: number;
  o: JobOptions;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
  queuedAt: number;
}

export interface HostEvents {
  /** A job finished (ok or not): how long it waited and ran. */
  onJob?: (kind: Job['kind'], outcome: 'ok' | 'timeout' | 'error', waitMs: number, runMs: number) => void;
}

export class ModelHost {
  private worker!: Worker;
  private readonly queue: Pending[] = [];
  private running: Pending | null = null;
  private nextId = 1;
  private closing = false;
  private avgMs = 500;
  models: ModelInfo[] = [];
  liveSessions = 0;
  evictions = 0;

  constructor(
    private readonly o: HostOptions,
    private readonly events: HostEvents = {},
  ) {}

  /** Starts the worker and waits until every model is loaded. */
  async start(): Promise<ModelInfo[]> {
    this.models = await this.spawn();
    return this.models;
  }

  private spawn(): Promise<ModelInfo[]> {
    const init: WorkerInit = {
      models: this.o.models,
      maxLiveSessions: this.o.maxLiveSessions,
      maxCacheBytes: this.o.maxCacheBytes,
    };
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    return new Promise((resolve, reject) => {
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve(m.models);
        else if (m.type === 'failed') reject(new Error(`the model worker could not load the models: ${m.message}`));
        else this.onMessage(m);
      });
      this.worker.on('error', (e) => {
        reject(e);
        this.fail(new Error(`the model worker failed: ${e.message}`));
      });
      this.worker.on('exit', (code) => {
        if (this.closing && !this.running && this.queue.length === 0) return;
        this.fail(new Error(`the model worker exited (code ${code})`));
        if (!this.closing)
          void this.spawn().then(
            () => this.pump(),
            () => {},
          );
      });
    });
  }

  private fail(e: Error): void {
    const p = this.running;
    this.running = null;
    p?.reject(e);
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Queues a job; rejects with RequestError 429 when the queue is full, 503 while shutting down. */
  submit(job: Job, o: JobOptions = {}): Promise<JobResult> {
    if (this.closing)
      return Promise.reject(new RequestError('the server is shutting down; retry shortly', null, 503, 'shutting_down'));
    if (this.queue.length >= this.o.maxQueue) {
      const retry = Math.max(1, Math.ceil(((this.queue.length + 1) * this.avgMs) / 1000));
      const e = new RequestError(
        `the model queue is full (${this.queue.length} waiting); retry after ${retry} s`,
        null,
        429,
        'rate_limited',
      );
      (e as RequestError & { retryAfter: number }).retryAfter = retry;
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const now = Date.now();
      this.queue.push({
        id: this.nextId++,
        job,
        deadline: now + (o.timeoutMs ?? this.o.timeoutMs),
        o,
        resolve,
        reject,
        queuedAt: now,
      });
      this.pump();
    });
  }

  private pump(): void {
    while (!this.running && this.queue.length > 0) {
      const p = this.queue.shift()!;
      if (Date.now() > p.deadline) {
        this.events.onJob?.(p.job.kind, 'timeout', Date.now() - p.queuedAt, 0);
        p.reject(new RequestError('the request waited past its time limit in the queue', null, 504, 'timeout'));
        continue;
      }
      this.running = p;
      this.worker.postMessage({ id: p.id, job: p.job, deadline: p.deadline });
    }
  }

  private onMessage(m: Exclude<WorkerMessage, { type: 'ready' | 'failed' }>): void {
    const p = this.running;
    if (!p || p.id !== m.id) return;
    if (m.type === 'progress') {
      p.o.onProgress?.(m.progress, m.partial);
      return;
    }
    this.running = null;
    const wait = Date.now() - p.queuedAt - m.ms;
    if (m.type === 'done') {
      this.avgMs = 0.8 * this.avgMs + 0.2 * m.ms;
      this.liveSessions = m.liveSessions;
      this.evictions = m.evictions;
      this.events.onJob?.(p.job.kind, 'ok', wait, m.ms);
      p.resolve(m.result);
    } else {
      this.events.onJob?.(p.job.kind, m.kind === 'timeout' ? 'timeout' : 'error', wait, m.ms);
      p.reject(
        m.kind === 'timeout'
          ? new RequestError(m.message, null, 504, 'timeout')
          : m.kind === 'input'
            ? new RequestError(m.message, null, 422)
            : new Error(m.message),
      );
    }
    this.pump();
  }

  /** Stops taking jobs; waits for the accepted ones up to graceMs, then fails the rest with 503. */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    const until = Date.now() + graceMs;
    while ((this.running || this.queue.length > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const p of this.queue.splice(0))
      p.reject(new RequestError('the server shut down before this request ran; retry', null, 503, 'shutting_down'));
    this.fail(new RequestError('the server shut down while this request ran; retry', null, 503, 'shutting_down'));
    await this.worker.terminate();
  }
}
