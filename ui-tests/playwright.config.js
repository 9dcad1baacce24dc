/**
 * Playwright configuration: Galata's defaults, Debian's Chromium, no video (no ffmpeg here).
 * Two workers share one JupyterLab; every test works in its own directory (Galata's
 * tmpPath) with its own notebooks and kernel sessions, so tests do not depend on each
 * other or on their order. DOTSCIENCE_UI_PORT moves the server off 8888 (default).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const PORT = process.env.DOTSCIENCE_UI_PORT || '8888';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

module.exports = {
  ...baseConfig,
  timeout: 120 * 1000,
  retries: 0,
  workers: 2,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${PORT}`,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: CHROMIUM_ARGS
    }
  },
  webServer: {
    command: 'npm start',
    url: `http://127.0.0.1:${PORT}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false,
    // SIGTERM lets JupyterLab shut its kernels down and remove its temporary directories
    // (Playwright's default, SIGKILL, left them behind).
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20 * 1000 }
  }
};
