// `tessera data emoji|emoji-manifest|check`: write a sample of emoji items; write emoji as a user's own data
// (PNGs and a manifest.jsonl, the worked example of docs/model.md); validate a user's JSONL manifest (its
// problems as a table: line, field, problem).
import type { Command } from 'commander';
import { emojiItems, loadManifest, writeEmojiManifest, writeItem } from '../../data/index.js';
import { intOption } from '../options.js';
import { formatTable } from '../table.js';

export function registerData(program: Command): void {
  const data = program.command('data').description('real images: emoji sets and user manifests');
  data
    .command('emoji')
    .description('write a sample of emoji items (captions, skin-tone edits, vendor style edits)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--n <n>', 'number of items', intOption('n', 1), 16)
    .option('--seed <seed>', 'seed', intOption('seed', 0), 0)
    .action((o: { out: string; n: number; seed: number }) => {
      const items = emojiItems(o.n, o.seed);
      for (const it of items) writeItem(o.out, it);
      console.log(`wrote ${items.length} emoji items to ${o.out}`);
    });
  data
    .command('emoji-manifest <dir>')
    .description("write emoji as 'your own data': DIR/manifest.jsonl (captions and edit pairs) and its PNGs")
    .option('--n <n>', 'train-split emoji items', intOption('n', 1), 120)
    .option('--heldout <n>', 'held-out items (emoji never in the training mixture)', intOption('heldout', 0), 40)
    .option('--seed <seed>', 'seed', intOption('seed', 0), 0)
    .action((dir: string, o: { n: number; heldout: number; seed: number }) => {
      const r = writeEmojiManifest(dir, o.n, o.heldout, o.seed);
      console.log(`wrote ${r.path}: ${r.lines} lines, ${r.images} images`);
    });
  data
    .command('check <manifest>')
    .description('validate a JSONL manifest of images, captions and edit pairs; exit 1 listing every problem')
    .action((path: string) => {
      const r = loadManifest(path);
      if (!r.ok) {
        const n = r.problems.length;
        console.error(`${path}: ${n} problem${n === 1 ? '' : 's'}`);
        console.error(
          formatTable(
            ['line', 'field', 'problem'],
            r.problems.map((p) => [p.line, p.field ?? '-', p.message]),
            { counts: ['line'] },
          ),
        );
        process.exitCode = 1;
        return;
      }
      console.log(`${path}: ${r.items.length} items ok`);
    });
}
