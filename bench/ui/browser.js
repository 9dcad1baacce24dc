/**
 * What the Chromium halves of the benchmarks share: Playwright (ui-tests' copy, or
 * PLAYWRIGHT_CORE), Debian's Chromium (or CHROMIUM_PATH) launched with the flags this
 * machine needs (the same as ui-tests/playwright.config.js), and a stderr logger, so that
 * stdout stays the one JSON line the Python half reads.
 */
'use strict';

const path = require('path');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

/** Launches headless Chromium; the caller closes it. */
function launchChromium() {
  const { chromium } = require(
    process.env.PLAYWRIGHT_CORE ||
      path.join(
        __dirname,
        '..',
        '..',
        'ui-tests',
        'node_modules',
        'playwright-core'
      )
  );
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS
  });
}

/** A logger to stderr whose lines start with `[name]`. */
function logger(name) {
  return (...args) => console.error(`[${name}]`, ...args);
}

module.exports = { CHROMIUM_ARGS, launchChromium, logger };
