// The child of the store crash test: opens the store at argv[2] and makes the planned writes of seed
// argv[3] (store-writes.ts) one after another, printing `ack <n> <what>` once each write's promise has
// resolved. It is meant to be killed; it stops by itself after MAX_ITERATIONS or when its parent goes
// (stdin closes).
import { openStore } from '../../src/serve/store/index.js';
import { CRASH_SESSION, plannedImage, plannedRequest, plannedTurn } from './store-writes.js';

const MAX_ITERATIONS = 2000;

const [url, seedArg] = process.argv.slice(2);
const seed = Number(seedArg);
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();

let n = 0;
const ack = (what: string) => process.stdout.write(`ack ${n++} ${what}\n`);

const store = await openStore(url);
await store.createSession({ id: CRASH_SESSION, seed, model: 'tessera-test' });
ack('session');
for (let i = 0; i < MAX_ITERATIONS; i++) {
  const image = await store.putImage(plannedImage(seed, i));
  ack(`image ${i} ${image}`);
  await store.recordRequest(plannedRequest(seed, i, image));
  ack(`request ${i}`);
  await store.addTurn(CRASH_SESSION, plannedTurn(seed, i, image));
  ack(`turn ${i}`);
  const f = await store.addFeedback({
    kind: 'rating',
    requestId: `crash-request-${i}`,
    index: i % 2 === 0 ? 0 : undefined,
    rating: 'up',
  });
  ack(`feedback ${i} ${f.id}`);
}
await store.close();
process.exit(0);
