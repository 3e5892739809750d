// The CLI's tables: a header row, then the rows, columns padded to their widest cell (numbers and "n/a"
// right-aligned, text left-aligned; numbers with fixed decimals except in the columns named as counts), two
// spaces between columns. Every table the CLI prints goes through here, so none lacks its header.

export type Cell = string | number | null;

/** A cell as text: numbers with `digits` decimals (in a count column, as they are), null as n/a. */
function show(c: Cell, digits: number, whole: boolean): string {
  if (c === null) return 'n/a';
  if (typeof c === 'number') return whole ? String(c) : c.toFixed(digits);
  return c;
}

export interface TableOptions {
  /** Decimals of numbers (default 3). */
  digits?: number;
  /** Header names of the columns of counts, printed as they are. */
  counts?: readonly string[];
}

/** The table as lines of text; a row must have as many cells as the header. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  { digits = 3, counts = [] }: TableOptions = {},
): string {
  rows.forEach((r, i) => {
    if (r.length !== header.length)
      throw new Error(`table row ${i} has ${r.length} cells but the header has ${header.length}`);
  });
  const whole = header.map((h) => counts.includes(h));
  const text = rows.map((r) => r.map((c, j) => show(c, digits, whole[j])));
  const right = header.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || typeof r[j] === 'number'));
  const width = header.map((h, j) => Math.max(h.length, ...text.map((r) => r[j].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => (right[j] ? c.padStart(width[j]) : c.padEnd(width[j])))
      .join('  ')
      .trimEnd();
  return [line(header), ...text.map(line)].join('\n');
}
