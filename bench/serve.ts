// `npm run bench:serve`: `tessera serve` in its own process on the loopback interface with a fresh SQLite
// store, and N concurrent clients (1, 4, 16) each sending generation requests (one image each, the default
// settings) for a bounded time and count: p50/p99 latency, images/s, 429s counted, and nothing lost (every
// request answered 200 or 429, and every 200 recorded in the store). Then a soak at 4 clients that samples
// the server's RSS: flat means the first and last thirds' medians are within 10%.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/serve/store/index.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 12);
const MAX_REQUESTS = arg('requests', 150);
const SOAK_SECONDS = arg('soak', 45);
const PROMPT = 'draw a large red circle at the center, on a white background';

function startServer(store: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['dist/src/cli/index.js', 'serve', '--port', '0', '--quiet', '--store', store], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`tessera serve exited (${code})`)));
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : Number.NaN;
};

interface Level {
  clients: number;
  ok: number;
  limited: number;
  failed: number;
  latencies: number[];
  seconds: number;
}

async function level(
  port: number,
  clients: number,
  seconds: number,
  maxRequests: number,
  seed0: number,
): Promise<Level> {
  const until = performance.now() + seconds * 1000;
  let sent = 0;
  const r: Level = { clients, ok: 0, limited: 0, failed: 0, latencies: [], seconds: 0 };
  const t0 = performance.now();
  const client = async () => {
    while (performance.now() < until && sent < maxRequests) {
      const seed = seed0 + sent++;
      const t = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/images/generations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: PROMPT, n: 1, seed }),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          r.ok++;
          r.latencies.push(performance.now() - t);
        } else if (res.status === 429) {
          r.limited++;
          await new Promise((w) => setTimeout(w, 1000 * Number(res.headers.get('retry-after') ?? 1)));
        } else r.failed++;
      } catch {
        r.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-serve-'));
const storeUrl = `sqlite:${join(dir, 'store.db')}`;
const { proc, port } = await startServer(storeUrl);
try {
  console.log(
    `tessera serve on 127.0.0.1:${port}, store ${storeUrl}; ${SECONDS} s or ${MAX_REQUESTS} requests a level`,
  );
  await level(port, 1, 2, 3, 1_000_000); // warm-up
  console.log('clients  requests  p50 ms  p99 ms  images/s  429s  failed');
  let answered = 0;
  for (const [i, clients] of [1, 4, 16].entries()) {
    const r = await level(port, clients, SECONDS, MAX_REQUESTS, i * 100_000);
    answered += r.ok;
    console.log(
      `${String(clients).padStart(7)}  ${String(r.ok + r.limited + r.failed).padStart(8)}  ${pct(r.latencies, 0.5).toFixed(0).padStart(6)}  ${pct(r.latencies, 0.99).toFixed(0).padStart(6)}  ${(r.ok / r.seconds).toFixed(2).padStart(8)}  ${String(r.limited).padStart(4)}  ${String(r.failed).padStart(6)}`,
    );
  }
  // soak: RSS sampled while 4 clients keep the model busy
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMiB(proc.pid!)), 1000);
  const soak = await level(port, 4, SOAK_SECONDS, Number.POSITIVE_INFINITY, 500_000);
  clearInterval(sampler);
  answered += soak.ok;
  const third = Math.max(1, Math.floor(samples.length / 3));
  const first = pct(samples.slice(0, third), 0.5);
  const last = pct(samples.slice(-third), 0.5);
  console.log(
    `soak: ${soak.ok} requests in ${soak.seconds.toFixed(0)} s at 4 clients; RSS ${first.toFixed(0)} -> ${last.toFixed(0)} MiB (${(((last - first) / first) * 100).toFixed(1)}%): ${Math.abs(last - first) / first <= 0.1 ? 'flat' : 'NOT flat'}`,
  );
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  const store = await openStore(storeUrl);
  const stats = await store.stats();
  await store.close();
  // the warm-up's requests are in the store too
  console.log(
    `nothing lost: ${answered} answered 200 after warm-up, ${stats.requests} requests in the store (warm-up included): ${stats.requests >= answered ? 'ok' : 'LOST'}`,
  );
} finally {
  if (proc.exitCode === null) proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
