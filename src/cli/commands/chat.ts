// `tessera chat`: a terminal multi-turn session over the sessions API (src/infer/session.ts). Each line is
// a turn (the model answers in text, draws, or both); every image is saved as OUT/turn-N.png and shown as
// its path; the session is saved to OUT/session.json after every turn, so quitting loses nothing and
// `--session FILE` picks it up again. Commands start with "/" (see HELP). Reads stdin, so a script can pipe
// a whole dialogue in. A bad command or input prints an error and leaves the session as it was.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { type RgbImage, turnTextForModel, writePng } from '../../data/index.js';
import {
  DEFAULT_GUIDANCE,
  type Engine,
  executePlan,
  planSteps,
  readSessionFile,
  Session,
  sessionShape,
  type Turn,
  type TurnInput,
  type TurnOptions,
} from '../../infer/index.js';
import { defaultModelDir, loadModel } from '../../model/index.js';
import { lockFolder } from '../../tensor/index.js';
import { readImageFile } from '../../tokenizers/index.js';
import { intOption, nonNegativeOption } from '../options.js';
import { streamProgress } from '../progress.js';
import { say } from '../terminal.js';

const HELP = `commands:
  TEXT              a turn: the model answers in text or draws (the last image is the context)
  /image FILE.png   attach an image to your next turn (square PNG; other sizes are box-filtered)
  /draw TEXT        a turn where the model must draw
  /ask TEXT         a turn where the model must answer in text
  /plan TEXT        the model writes a step plan for a compound instruction, then does it turn by turn
  /undo             go back one turn (the next turn replaces it; the old one stays in the history)
  /branch N         continue from turn N (0 = from the start)
  /history          the turns from the start to now
  /save FILE        write the session as JSON (it is also saved to OUT/session.json after every turn)
  /help, /quit`;

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('a multi-turn session in the terminal: text and images, undo, branches, plans')
    .option('--model <dir>', 'model checkpoint (default: the shipped model)')
    .option('-o, --out <dir>', 'folder for the images and session.json', 'chat-out')
    .option('--session <file>', 'continue a saved session (JSON from /save or OUT/session.json)')
    .option('--image <file>', 'start with this image attached to the first turn')
    .option('--force', 'start a new session in an --out folder that already holds one (replaces its session.json)')
    .option(
      '--guidance <s>',
      'classifier-free guidance scale for images',
      nonNegativeOption('guidance'),
      DEFAULT_GUIDANCE,
    )
    .option(
      '--image-guidance <s>',
      'image scale of two-scale guidance (1 = off): keeps drawings closer to the images in the context',
      nonNegativeOption('image-guidance'),
      1,
    )
    .option(
      '--candidates <k>',
      'a first picture (no image yet) is drawn k ways and the one the model reads back as the prompt is kept',
      intOption('candidates', 1, 64),
      1,
    )
    .option('--raw-prompt', "send turns as written, not rewritten into the model's trained phrasing")
    .action(
      async (o: {
        model?: string;
        out: string;
        session?: string;
        image?: string;
        guidance: number;
        imageGuidance: number;
        candidates: number;
        force?: boolean;
        rawPrompt?: boolean;
      }) => {
        const engine: Engine = loadModel(o.model ?? defaultModelDir());
        // one chat per folder, and a new chat never replaces a saved session unasked
        const saved = join(o.out, 'session.json');
        if (!o.session && !o.force && existsSync(saved))
          throw new Error(
            `${o.out} already holds a session (${saved}); HINT: continue it with --session ${saved}, use another --out, or replace it with --force`,
          );
        lockFolder(o.out, 'chat');
        const session = o.session ? readSessionFile(o.session, sessionShape(engine)) : new Session();
        const opts = { guidance: o.guidance, imageGuidance: o.imageGuidance, candidates: o.candidates };
        const chat = new Chat(engine, session, o.out, opts, o.rawPrompt);
        if (o.image) chat.attach(o.image);
        say(`session ${session.id}${o.session ? ` (restored, at turn ${session.head ?? 0})` : ''}; /help for commands`);
        const rl = createInterface({ input: process.stdin, terminal: false });
        for await (const line of rl) {
          if (line.trim() === '') continue;
          if (!process.stdin.isTTY) say(`> ${line}`);
          try {
            if (!chat.run(line.trim())) break;
          } catch (e) {
            say(`error: ${(e as Error).message}`);
          }
        }
        rl.close();
      },
    );
}

class Chat {
  private attached: RgbImage | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly session: Session,
    private readonly out: string,
    private readonly opts: TurnOptions,
    private readonly raw = false,
  ) {}

  attach(file: string): void {
    const size = this.engine.tok.image.imageSize;
    const { pixels, note } = readImageFile(file, size);
    if (note) say(note);
    this.attached = { width: size, height: size, data: pixels };
    say(`attached ${file} to the next turn`);
  }

  /** Runs one line; false to quit. */
  run(line: string): boolean {
    const [cmd] = line.startsWith('/') ? line.split(/\s+/) : ['', line];
    const arg = line.startsWith('/') ? line.slice(cmd.length).trim() : line;
    const need = (what: string) => {
      if (arg === '') throw new Error(`${cmd} needs ${what}`);
      return arg;
    };
    switch (cmd) {
      case '':
        this.turn({ text: arg }, 'auto');
        return true;
      case '/draw':
        this.turn({ text: need('a prompt') }, 'image');
        return true;
      case '/ask':
        this.turn({ text: need('a question') }, 'text');
        return true;
      case '/image':
        this.attach(need('a PNG file'));
        return true;
      case '/plan':
        this.plan(need('an instruction'));
        return true;
      case '/undo': {
        const head = this.session.undo();
        say(head === null ? 'back at the start' : `back at turn ${head}`);
        this.save();
        return true;
      }
      case '/branch': {
        const n = Number(need('a turn number'));
        if (!Number.isInteger(n) || n < 0) throw new Error(`/branch needs a turn number, got "${arg}"`);
        this.session.branch(n === 0 ? null : n);
        say(n === 0 ? 'continuing from the start' : `continuing from turn ${n}`);
        this.save();
        return true;
      }
      case '/history':
        for (const t of this.session.path()) this.show(t);
        if (this.session.head === null) say('(no turns yet)');
        return true;
      case '/save':
        writeFileSync(need('a file name'), JSON.stringify(this.session.toJSON()));
        say(`saved ${arg}`);
        return true;
      case '/help':
        say(HELP);
        return true;
      case '/quit':
      case '/exit':
        return false;
      default:
        throw new Error(`unknown command ${cmd}; /help lists them`);
    }
  }

  private turn(input: TurnInput, mode: TurnOptions['mode']): Turn {
    // a turn that may draw is read against the image it edits (turnTextForModel); a question goes as written
    if (input.text && mode !== 'text' && !this.raw) {
      const read = turnTextForModel(input.text, this.attached ?? this.session.lastImage());
      for (const n of read.notices) say(`note: ${n}`);
      if (read.canonicalized) say(`sent in the trained phrasing: "${read.text}" (--raw-prompt to keep yours)`);
      input = { ...input, text: read.text };
    }
    const withImage: TurnInput = this.attached ? { ...input, image: this.attached } : input;
    const t0 = performance.now();
    const t = this.session.addTurn(this.engine, withImage, {
      ...this.opts,
      mode,
      onProgress: streamProgress(`turn ${this.session.allTurns.length + 1}`),
    });
    this.attached = null;
    this.show(t, performance.now() - t0);
    this.save();
    return t;
  }

  private plan(instruction: string): void {
    const image = this.attached ?? this.session.lastImage();
    if (!image) throw new Error('/plan edits an image: attach one with /image or draw one first');
    const { steps, text } = planSteps(this.engine, image, instruction);
    if (steps.length === 0) throw new Error(`the model wrote no step plan (it wrote: "${text}")`);
    say(`plan:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    this.attached = null;
    executePlan(this.engine, image, steps, {
      ...this.opts,
      session: this.session,
      onStep: (i, s) => say(`step ${i + 1}/${steps.length}: ${s}`),
    }).turns.forEach((t) => {
      this.show(t);
    });
    this.save();
  }

  private show(t: Turn, ms?: number): void {
    const said = t.input.text ? ` "${t.input.text}"` : '';
    const parts = t.output.map((x) => {
      if (x.kind === 'text') return x.text;
      const path = join(this.out, `turn-${t.id}.png`);
      writePng(path, x.image);
      return path;
    });
    const time = ms === undefined ? '' : ` (${ms.toFixed(0)} ms)`;
    say(`turn ${t.id}${said}${t.input.image ? ' +image' : ''} -> ${parts.join(' | ') || '(nothing)'}${time}`);
  }

  private save(): void {
    writeFileSync(join(this.out, 'session.json'), JSON.stringify(this.session.toJSON()));
  }
}
