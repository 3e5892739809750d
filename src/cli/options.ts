// Parsers for numeric command-line options (commander's coerce functions), one for every command, so a
// bad value is refused with the same message everywhere.
import { UPSCALE_FACTORS } from '../data/index.js';

/** An integer option in [min, max]: `.option('--n <n>', '...', intOption('n', 1, 64), 4)`. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer ${range}, got ${v}`);
    return n;
  };
}

/** A number option >= 0 (scales, temperatures). */
export function nonNegativeOption(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got ${v}`);
    return n;
  };
}

/** Any finite number (a logit bias may be negative). */
export function numberOption(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${v}`);
    return n;
  };
}

/** `--split heldout|train`: held-out combinations, or fresh items of trained ones. */
export function splitOption(v: string): 'heldout' | 'train' {
  if (v !== 'heldout' && v !== 'train') throw new Error(`--split must be heldout or train, got ${v}`);
  return v;
}

/** A probability option in (0, 1] (top-p). */
export function probabilityOption(name: string): (v: string) => number {
  return (v) => {
    const p = Number(v);
    if (v.trim() === '' || !(p > 0 && p <= 1)) throw new Error(`--${name} must be a number in (0, 1], got ${v}`);
    return p;
  };
}

/** `--scale K`: a nearest-neighbour upscale factor, one of UPSCALE_FACTORS (1, 2, 4, 8, 16). */
export function scaleOption(v: string): number {
  const k = Number(v);
  if (!(UPSCALE_FACTORS as readonly number[]).includes(k))
    throw new Error(`--scale must be one of ${UPSCALE_FACTORS.join(', ')}, got ${v}`);
  return k;
}
