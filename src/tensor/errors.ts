// Typed errors of the engine's file boundaries (checkpoints and weights files): the file, the problem,
// and what to do, so callers and tests can tell a refused file from a bug.

/** A checkpoint that cannot be used: the file, what is wrong with it, and what to do. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${file}${problem === 'not found' ? ' not found' : `: ${problem}`}. HINT: ${hint}`);
  }
}
