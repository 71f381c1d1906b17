import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (CI installs it with `scripts/setup.sh --with-browser`). */
export const CHROMIUM_PATH = process.env.BDI_CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** `describe`, or `describe.skip` with a warning when Chromium is not installed. */
export function describeWithBrowser(name: string, body: () => void): void {
  if (fs.existsSync(CHROMIUM_PATH)) {
    describe(name, body);
    return;
  }
  console.warn(
    `[browser tests] SKIPPED "${name}": no Chromium at ${CHROMIUM_PATH}. ` +
      'Install it with `scripts/setup.sh --with-browser` (or set BDI_CHROMIUM_PATH).',
  );
  describe.skip(name, body);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
