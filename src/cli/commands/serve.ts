// `tessera serve`: the HTTP API (OpenAI- and Gemini-shaped endpoints, sessions, feedback, metrics) and the
// web studio at http://HOST:PORT/, with the shipped models and a SQLite store in ./tessera-data by default.

import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultModelDir } from '../../model/index.js';
import { listen, startServer } from '../../serve/server.js';
import { packageRoot } from '../../tensor/index.js';
import { intOption } from '../options.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the models over HTTP (OpenAI/Gemini-shaped API, sessions, feedback) and the web studio')
    .option('--port <port>', 'port (0 = any free one)', intOption('port', 0, 65535), 8787)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--model <dir...>', 'model folders (the first is the default; default: the shipped default and specialist)')
    .option('--store <url>', 'sqlite:FILE or postgres://USER:PASSWORD@HOST/DB', 'sqlite:tessera-data/tessera.db')
    .option('--quiet', 'no log line per request')
    .action(async (o: { port: number; host: string; model?: string[]; store: string; quiet?: boolean }) => {
      const models = o.model ?? [defaultModelDir(), join(packageRoot(), 'models', 'tessera-specialist')];
      const t0 = performance.now();
      const server = await startServer({ models, store: o.store, log: o.quiet ? undefined : (l) => console.error(l) });
      const listening = await listen(server, o.port, o.host);
      const { port } = listening;
      console.error(
        `tessera serve: ${server.service.models.map((m) => m.id).join(', ')} on ${server.store.kind} (${server.store.where}), ready in ${(performance.now() - t0).toFixed(0)} ms`,
      );
      console.log(`studio: http://${o.host}:${port}/   API: http://${o.host}:${port}/v1`);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.error(`tessera serve: ${signal}: finishing accepted requests`);
        await Promise.all([listening.close(30_000), server.close(30_000)]);
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
