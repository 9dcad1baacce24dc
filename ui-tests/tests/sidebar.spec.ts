import { expect, test } from '@jupyterlab/galata';

const VERSION: string = require('../../package.json').version;

test.describe('Dotscience sidebar', () => {
  test('opens and shows the server extension version', async ({ page }) => {
    // Given JupyterLab with the extension installed
    // When the user opens the Dotscience sidebar from its tab
    await page.locator('.jp-SideBar [title="Dotscience"]').click();

    // Then the panel shows the versions of the server and frontend, which agree
    const panel = page.locator('#jp-Dotscience-sidebar');
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('ds-server-version')).toHaveText(VERSION);
    await expect(panel.getByTestId('ds-frontend-version')).toHaveText(VERSION);
    await expect(panel.getByText('SQLite (embedded)')).toBeVisible();
    await expect(panel.locator('.jp-Dotscience-warning')).toHaveCount(0);
  });
});
