// The browser bundle's stand-in for Node built-in modules (node:fs, node:path, ...): the import graph of
// the in-browser model touches modules that also write checkpoints, lock folders or read PNG files, but the
// browser path never calls those functions. web/build.mjs generates one module per built-in from the real
// module's export names, each export a function that throws this clear error if it is ever called.

/** A function standing for `name` of Node's `module` that throws when called. */
export function unavailable(module, name) {
  return () => {
    throw new Error(
      `${module} ${name}() is not available in the web browser (tessera's browser bundle calls only the in-memory paths; this is a bug in what web/local.ts reaches)`,
    );
  };
}

/** The source of the stand-in module for `module`, exporting every name in `names`. */
export function shimSource(module, names, helper) {
  const lines = [`import { unavailable } from ${JSON.stringify(helper)};`];
  for (const n of names) {
    if (n === 'default') continue;
    lines.push(`export const ${n} = /* @__PURE__ */ unavailable(${JSON.stringify(module)}, ${JSON.stringify(n)});`);
  }
  return lines.join('\n');
}
