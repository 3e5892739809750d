// Prometheus metrics of the server (prom-client, a registry per server so tests and two servers in one
// process do not mix): requests by route and status with latency histograms, the model queue's depth and
// waits, jobs by kind and outcome, 429s, live sessions and evictions.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelHost } from './host.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request latency by route (until the response starts)',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'tessera_model_jobs_total',
    help: 'model jobs by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly jobSeconds = new Histogram({
    name: 'tessera_model_job_seconds',
    help: 'time a model job ran in the worker',
    labelNames: ['kind'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'tessera_model_queue_wait_seconds',
    help: 'time a model job waited in the queue',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'tessera_rate_limited_total',
    help: 'requests refused with 429 because the model queue was full',
    registers: [this.registry],
  });

  /** Gauges read from the host when scraped. */
  watch(host: ModelHost): void {
    new Gauge({
      name: 'tessera_model_queue_depth',
      help: 'model jobs waiting (not counting the running one)',
      registers: [this.registry],
      collect() {
        this.set(host.queueDepth);
      },
    });
    new Gauge({
      name: 'tessera_model_busy',
      help: '1 while the model worker runs a job',
      registers: [this.registry],
      collect() {
        this.set(host.busy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tessera_live_sessions',
      help: 'sessions with a KV cache in the model worker',
      registers: [this.registry],
      collect() {
        this.set(host.liveSessions);
      },
    });
    new Gauge({
      name: 'tessera_session_evictions',
      help: 'live sessions evicted from the worker since start (they reload from the store)',
      registers: [this.registry],
      collect() {
        this.set(host.evictions);
      },
    });
  }

  onJob(kind: string, outcome: string, waitMs: number, runMs: number): void {
    this.jobs.inc({ kind, outcome });
    this.queueWait.observe(Math.max(0, waitMs) / 1000);
    if (runMs > 0) this.jobSeconds.observe({ kind }, runMs / 1000);
  }
}
