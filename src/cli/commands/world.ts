// `tessera world spec|sample`: print the scene world's machine-readable spec; write sample task items.
import type { Command } from 'commander';
import { makeWorldItems, type Split, WORLD_TASKS, type WorldTask, worldSpec, writeItem } from '../../data/index.js';
import { intOption } from '../options.js';

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
    .option('--n <n>', 'items per task', intOption('n', 1), 8)
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <seed>', 'seed', intOption('seed', 0), 0)
    .option('--split <split>', 'train or heldout', 'train')
    .action((o: { task: string; n: number; out: string; seed: number; split: string }) => {
      const tasks = o.task === 'all' ? [...WORLD_TASKS] : [o.task];
      for (const t of tasks)
        if (!(WORLD_TASKS as readonly string[]).includes(t))
          throw new Error(`unknown task '${t}' (one of: ${WORLD_TASKS.join(', ')}, all)`);
      if (o.split !== 'train' && o.split !== 'heldout')
        throw new Error(`--split must be train or heldout, got '${o.split}'`);
      const { n, seed } = o;
      let count = 0;
      for (const t of tasks)
        for (const it of makeWorldItems(t as WorldTask, o.split as Split, seed, n)) {
          writeItem(o.out, it);
          count++;
        }
      console.log(`wrote ${count} items to ${o.out}`);
    });
}
