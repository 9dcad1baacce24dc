/**
 * Where screenshots go: docs/screenshots when refreshing the documentation
 * (`make screenshots`), else Playwright's output folder, so a test run leaves the
 * tracked images alone.
 */
export const SHOTS = process.env.DOCS_SCREENSHOTS
  ? '../docs/screenshots'
  : 'test-results/screenshots';
