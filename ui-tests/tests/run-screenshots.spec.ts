import { expect, test } from '@jupyterlab/galata';
import { openSidebar, waitForIdle } from './notebook';
import { SHOTS } from './shots';

const DIR = SHOTS;

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 900 }
});

test('Current run section screenshots, light and dark', async ({
  page,
  request,
  tmpPath
}) => {
  // Given a notebook with a run that has parameters, labels, a file and metrics
  await page.notebook.createNew('run-shots.ipynb');
  await waitForIdle(page);
  const run = await openSidebar(page);
  await page.notebook.setCell(
    0,
    'code',
    [
      'import math, dotscience as ds',
      "open('iris.csv', 'w').write('sepal,petal\\n' * 200)",
      "ds.start('tune the learning rate')",
      "ds.input('iris.csv'); ds.output('model.pkl')",
      "ds.parameter('learning_rate', 0.01); ds.parameter('epochs', 40)",
      "ds.label('team', 'vision')",
      'for i in range(40):',
      "    ds.metric('loss', math.exp(-i / 10) + 0.05 * math.sin(i))",
      "    ds.metric('accuracy', 1 - math.exp(-i / 8))"
    ].join('\n')
  );
  await page.notebook.runCell(0, { wait: true });
  await expect(run.getByTestId('ds-metric-accuracy')).toBeVisible();
  // Only the Current run section open (every other one closed), so that all of it shows
  const headings = page.locator(
    '#jp-Dotscience-sidebar .lm-AccordionPanel-title'
  );
  for (let i = 0; i < (await headings.count()); i++) {
    const heading = headings.nth(i);
    if (
      (await heading.getAttribute('aria-label')) !== 'Current run Section' &&
      (await heading.getAttribute('aria-expanded')) === 'true'
    ) {
      await heading.click();
    }
  }
  await expect(
    page.locator(
      '#jp-Dotscience-sidebar .lm-AccordionPanel-title.lm-mod-expanded'
    )
  ).toHaveCount(1);
  await page.waitForTimeout(500);

  // Then light and dark screenshots of the notebook and sidebar are written
  await page.screenshot({ path: `${DIR}/run-current-light.png` });
  await page.theme.setDarkTheme();
  // (headless Chromium can keep painting the side panels in the old theme: a resize
  // repaints the whole page)
  await page.setViewportSize({ width: 1280, height: 899 });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: `${DIR}/run-current-dark.png` });

  // Only this test's sessions: another worker's tests run at the same time.
  const sessions = await (await request.get('/api/sessions')).json();
  for (const s of sessions) {
    if (s.path.startsWith(`${tmpPath}/`)) {
      await request.delete(`/api/sessions/${s.id}`);
    }
  }
});
