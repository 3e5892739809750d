// What a session file must be: the refusal type (which file, which field, what was wrong), the sizes its
// images and codes must match (the serving model's), and the bounds on what it may hold (docs/limits.md).
// The reader and validator are Session.fromJSON / readSessionFile in session.ts.
import type { Engine } from './session.js';

/** A session file that was refused: which file, which field, and what was wrong. */
export class SessionFileError extends Error {
  override name = 'SessionFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly field?: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** What a session's images and codes must match: the model's image size, code grid and codebook. */
export interface SessionShape {
  imageSize: number;
  grid: number;
  codebookSize: number;
  /** Codes a patch (2 for a two-code model): an image's codes are codesPerPatch * grid * grid. */
  codesPerPatch: number;
}

export const DEFAULT_SHAPE: SessionShape = { imageSize: 64, grid: 8, codebookSize: 2048, codesPerPatch: 1 };

/** Bounds on what a session file may hold (docs/limits.md). */
export const SESSION_LIMITS = Object.freeze({
  maxFileBytes: 64 * 1024 * 1024,
  maxTurns: 10_000,
  maxOutputs: 16,
  maxTextChars: 20_000,
});

/** The shape a model's sessions must have. */
export function sessionShape(engine: Engine): SessionShape {
  return {
    imageSize: engine.tok.image.imageSize,
    grid: engine.tok.image.grid,
    codebookSize: engine.tok.image.codebookSize,
    codesPerPatch: engine.tok.image.codesPerPatch ?? 1,
  };
}
