// A real headless Chromium for the browser tests (test/browser/), driven by playwright-core: never a
// downloaded browser, only one installed on the machine (CHROMIUM_PATH, or Debian's chromium). Without
// one the tests are skipped with the reason, unless TESSERA_REQUIRE_BROWSER=1 (CI), then they fail.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { packageRoot } from '../../src/tensor/index.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium executable to use, or why there is none. */
export function findChromium(): { path: string } | { reason: string } {
  const env = process.env.CHROMIUM_PATH;
  if (env) return existsSync(env) ? { path: env } : { reason: `CHROMIUM_PATH=${env} does not exist` };
  const found = CANDIDATES.find((p) => existsSync(p));
  return found
    ? { path: found }
    : { reason: `no Chromium found (set CHROMIUM_PATH, or install Debian's chromium: ${CANDIDATES.join(', ')})` };
}

/** Launches headless Chromium (without its sandbox when running as root, which it refuses otherwise). */
export function launchChromium(executablePath: string): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...(root ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A test with a launched browser; skipped (or failed under TESSERA_REQUIRE_BROWSER=1) without one. */
export function browserTest(name: string, fn: (browser: Browser) => Promise<void>, timeout = 120_000): void {
  test(name, { timeout }, async (t) => {
    const found = findChromium();
    if ('reason' in found) {
      if (process.env.TESSERA_REQUIRE_BROWSER === '1') assert.fail(`TESSERA_REQUIRE_BROWSER=1 but ${found.reason}`);
      console.log(`browser test skipped: ${found.reason}`);
      t.skip(found.reason);
      return;
    }
    const browser = await launchChromium(found.path);
    try {
      await fn(browser);
    } finally {
      await browser.close();
    }
  });
}

/** Where browser tests put screenshots: docs/images/ when TESSERA_SCREENSHOTS=1 (to refresh the committed
 *  ones), else a temporary folder, so a test run leaves the working tree as it was. */
export function screenshotDir(): string {
  if (process.env.TESSERA_SCREENSHOTS === '1') return join(packageRoot(), 'docs', 'images');
  return mkdtempSync(join(tmpdir(), 'tessera-shots-'));
}
