// A multi-turn session with the high-level API: draw, edit the drawing, undo, edit it another way (a branch),
// go back to the first edit with branch(), and save the session as JSON. Run: node session.js [OUT_DIR].
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTessera, type Turn, toPng } from 'tessera';

const out = process.argv[2] ?? 'out';
mkdirSync(out, { recursive: true });
const tessera = loadTessera();
const session = tessera.session(7);

function show(turn: Turn): void {
  for (const part of turn.output) {
    if (part.kind === 'text') console.log(`turn ${turn.id}: text "${part.text}"`);
    else {
      const file = join(out, `turn-${turn.id}.png`);
      writeFileSync(file, toPng(part.image));
      console.log(`turn ${turn.id}: image ${file}`);
    }
  }
}

show(session.say('draw a large blue square at the center, on a gray background', { mode: 'image' }));
const yellow = session.say('make the large blue square yellow', { mode: 'image' });
show(yellow);
session.undo(); // back to the first turn: the next turn is another branch from it
show(session.say('remove the large blue square', { mode: 'image' }));
session.branch(yellow.id); // back on the yellow line: the next turn would follow it
console.log(`turns on the current line: ${session.turns.length}`);
const json = session.toJSON();
writeFileSync(join(out, 'session.json'), JSON.stringify(json));
console.log(`turns in the session file: ${json.turns.length}`);
