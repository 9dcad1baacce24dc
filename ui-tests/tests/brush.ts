import type { Locator, Page } from '@playwright/test';

/**
 * Brush the top fifth of a parallel-coordinates axis as a user does: press near its top,
 * drag down in a few steps, release.
 *
 * @param page the page
 * @param plot where the plot is (a view holding it)
 * @param axis the axis' dimension (its `data-brush`)
 */
export async function brushTopOf(
  page: Page,
  plot: Locator,
  axis: string
): Promise<void> {
  const box = (await plot.locator(`rect[data-brush="${axis}"]`).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2, {
    steps: 5
  });
  await page.mouse.up();
}
