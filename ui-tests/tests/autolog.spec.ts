import { expect, test } from '@jupyterlab/galata';
import { deleteSessions, newNotebook, openSidebar, runCode } from './notebook';
import { SHOTS } from './shots';

// Real kernel and session APIs (Galata's tracking routes break kernel restarts).
test.use({ autoGoto: true, kernels: null, sessions: null });

test.describe('Autologging', () => {
  test.afterEach(async ({ request, tmpPath }) => {
    await deleteSessions(request, tmpPath);
  });

  test('a notebook with only ds.autolog() and a scikit-learn fit shows its parameters and score live', async ({
    page,
    request,
    tmpPath
  }) => {
    // Given a new notebook whose kernel the extension attached to
    await newNotebook(page, request, tmpPath, 'autolog.ipynb');
    const run = await openSidebar(page);

    // When a cell switches autologging on and fits a model, with no other ds.* call
    await runCode(
      page,
      0,
      [
        'import dotscience as ds',
        'ds.autolog()',
        'from sklearn.datasets import load_iris',
        'from sklearn.linear_model import LogisticRegression',
        'X, y = load_iris(return_X_y=True)',
        'model = LogisticRegression(C=0.75, max_iter=300).fit(X, y)',
        'print(round(model.score(X, y), 4))'
      ].join('\n')
    );

    // Then the sidebar shows the estimator's parameters and its training score
    const parameters = run.getByTestId('ds-run-parameters');
    await expect(parameters).toContainText('estimator_class', {
      timeout: 20000
    });
    await expect(parameters).toContainText('LogisticRegression');
    await expect(parameters).toContainText('max_iter');
    await expect(parameters).toContainText('0.75');
    const output = await page.notebook.getCellTextOutput(0);
    const score = (output ?? []).join('').trim();
    expect(Number(score)).toBeGreaterThan(0.9);
    await expect(run.getByTestId('ds-metric-training_score')).toBeVisible();
    const shown = await run.getByTestId('ds-metric-training_score').innerText();
    expect(Number(shown)).toBeCloseTo(Number(score), 2);
    // (the documentation's picture: only the Current run section open, tall enough)
    await page.setViewportSize({ width: 1280, height: 1300 });
    for (const title of ['Runs', 'Models', 'API keys', 'Server']) {
      const heading = page.locator(
        `#jp-Dotscience-sidebar .lm-AccordionPanel-title[aria-label="${title} Section"]`
      );
      if ((await heading.getAttribute('aria-expanded')) === 'true') {
        await heading.click();
      }
    }
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${SHOTS}/autolog-run.png` });
  });
});
