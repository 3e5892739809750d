// `tessera world spec|sample`: print the scene world's machine-readable spec; write sample task items.
import type { Command } from 'commander';
import { makeWorldItems, type Split, WORLD_TASKS, type WorldTask, worldSpec, writeItem } from '../../data/index.js';

export function registerWorld(program: Command): void {
  const world = program.command('world').description('the procedural scene world: spec and samples');
  world
    .command('spec')
    .description('print the world spec (image size, palette, shapes, layout, font, characters, held-out split)')
    .option('--json', 'print JSON (the default; kept for clarity)')
    .action(() => console.log(JSON.stringify(worldSpec(), null, 2)));
  world
    .command('sample')
    .description(`write sample task items as PNG + JSON (tasks: ${WORLD_TASKS.join(', ')}, or all)`)
    .requiredOption('--task <kind>', 'task kind, or "all"')
    .option('--n <n>', 'items per task', '8')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <seed>', 'seed', '0')
    .option('--split <split>', 'train or heldout', 'train')
    .action((o: { task: string; n: string; out: string; seed: string; split: string }) => {
      const tasks = o.task === 'all' ? [...WORLD_TASKS] : [o.task];
      for (const t of tasks)
        if (!(WORLD_TASKS as readonly string[]).includes(t))
          throw new Error(`unknown task '${t}' (one of: ${WORLD_TASKS.join(', ')}, all)`);
      if (o.split !== 'train' && o.split !== 'heldout')
        throw new Error(`--split must be train or heldout, got '${o.split}'`);
      const n = Number.parseInt(o.n, 10);
      const seed = Number.parseInt(o.seed, 10);
      if (!(n > 0) || !Number.isFinite(seed))
        throw new Error(`--n must be a positive integer and --seed an integer (got ${o.n}, ${o.seed})`);
      let count = 0;
      for (const t of tasks)
        for (const it of makeWorldItems(t as WorldTask, o.split as Split, seed, n)) {
          writeItem(o.out, it);
          count++;
        }
      console.log(`wrote ${count} items to ${o.out}`);
    });
}
