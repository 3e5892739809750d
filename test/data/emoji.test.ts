// The emoji loader: on a tiny fixture sheet written here, and offline on the installed npm package.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { EmojiSheets, emojiItems, emojiPackageRoot, loadEmojiIndex, validateItem } from '../../src/data/index.js';

/** A 2x1 sheet of 34-px cells: cell (0,0) opaque red, cell (1,0) opaque blue; border pixels transparent. */
function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'tessera-emoji-'));
  for (const vendor of ['twitter', 'google']) {
    mkdirSync(join(root, 'img', vendor, 'sheets'), { recursive: true });
    const png = new PNG({ width: 68, height: 34 });
    for (let y = 0; y < 34; y++)
      for (let x = 0; x < 68; x++) {
        const i = (y * 68 + x) * 4;
        const inside = x % 34 >= 1 && x % 34 <= 32 && y >= 1 && y <= 32;
        const rgb = x < 34 ? [200, 0, 0] : vendor === 'twitter' ? [0, 0, 200] : [0, 0, 100];
        png.data.set([...rgb, inside ? 255 : 0], i);
      }
    writeFileSync(join(root, 'img', vendor, 'sheets', '32.png'), PNG.sync.write(png));
  }
  const img = (u: string, x: number) => ({
    unified: u,
    sheet_x: x,
    sheet_y: 0,
    has_img_twitter: true,
    has_img_google: true,
  });
  const emoji = [
    {
      ...img('1F44B', 0),
      name: 'WAVING HAND SIGN',
      short_names: ['wave'],
      category: 'People & Body',
      subcategory: 'hand',
      skin_variations: { '1F3FB': img('1F44B-1F3FB', 0), '1F3FF': img('1F44B-1F3FF', 1) },
    },
    {
      ...img('1F535', 1),
      name: 'LARGE BLUE CIRCLE',
      short_names: ['large_blue_circle'],
      category: 'Symbols',
      subcategory: 'geometric',
    },
  ];
  writeFileSync(join(root, 'emoji.json'), JSON.stringify(emoji));
  return root;
}

test('fixture: index, skin tones, and a cut-out emoji box-filtered onto a flat background', () => {
  const root = fixture();
  const idx = loadEmojiIndex(root);
  assert.equal(idx.length, 2);
  assert.equal(idx[0].name, 'waving hand sign');
  assert.deepEqual(
    idx[0].skins.map((s) => s.tone),
    [0, 4],
  );
  const img = new EmojiSheets(root).image('twitter', idx[1], [255, 255, 255], 64, 56);
  assert.equal(img.width, 64);
  const at = (x: number, y: number) => [...img.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
  assert.deepEqual(at(32, 32), [0, 0, 200]);
  assert.deepEqual(at(1, 1), [255, 255, 255]);
  const items = emojiItems(12, 1, { root });
  for (const it of items) assert.deepEqual(validateItem(it), []);
});

test('the installed emoji-datasource package loads offline: names, skin tones, both vendors', () => {
  const root = emojiPackageRoot();
  const idx = loadEmojiIndex(root);
  assert.ok(idx.length > 1000, `${idx.length} emoji`);
  assert.ok(idx.some((e) => e.skins.length === 5));
  const both = idx.find((e) => e.vendors.length === 2)!;
  const sheets = new EmojiSheets(root);
  const a = sheets.image('twitter', both);
  const b = sheets.image('google', both);
  assert.notDeepEqual(a.data, b.data);
  const items = emojiItems(6, 2);
  assert.equal(items.length, 6);
  for (const it of items) assert.deepEqual(validateItem(it), []);
});
