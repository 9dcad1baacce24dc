/**
 * Playwright configuration: Galata's defaults, Debian's Chromium, no video (no ffmpeg here).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

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
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL: 'http://127.0.0.1:8888',
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: CHROMIUM_ARGS
    }
  },
  webServer: {
    command: 'npm start',
    url: 'http://127.0.0.1:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
