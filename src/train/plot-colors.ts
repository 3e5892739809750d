// The colours of the loss curves: the SVG plot (log.ts plotCurves) and the studio's plot (web/plots.ts)
// use the same ones, so the two read alike.
export const CURVE_COLORS: readonly string[] = [
  '#222',
  '#d62728',
  '#1f77b4',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#98df8a',
  '#ffbb78',
];
