// Text from users and files, made safe to print on a terminal: control characters (ANSI escape sequences
// among them, which could move the cursor, recolour or retitle the terminal) are shown as \xNN escapes
// instead of being sent raw. Newlines and tabs stay.

// C0 controls except tab and newline, DEL, and the C1 range
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function termSafe(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** console.log with every argument made terminal-safe. */
export function say(...parts: unknown[]): void {
  console.log(...parts.map((p) => (typeof p === 'string' ? termSafe(p) : p)));
}
