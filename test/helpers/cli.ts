// Runs one tessera command line in-process (the commands registered by `registers`, as src/cli/index.ts
// does) and returns the lines it printed on stdout and stderr; a command that fails rejects.
import { Command } from 'commander';

export async function runCommand(
  registers: readonly ((program: Command) => void)[],
  args: string[],
): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    const program = new Command().exitOverride();
    for (const register of registers) register(program);
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = log;
    console.error = error;
  }
  return { out, err };
}
