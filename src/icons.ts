import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" style="fill:none" stroke="#616161" stroke-width="1.8" stroke-linejoin="round"
    d="M5 2.9h9.6l4.5 4.5v13.7H5z"/>
  <polyline class="jp-icon3" style="fill:none" stroke="#616161" stroke-width="1.8" stroke-linecap="round"
    stroke-linejoin="round" points="7.8,17.6 10.4,13.9 12.8,15.6 15.4,11"/>
  <circle class="jp-icon-brand0" fill="#1976d2" cx="15.6" cy="10.6" r="2.4"/>
</svg>`;

/**
 * The Dotscience icon: a notebook page with a metric series ending in a dot (a tracked
 * result), not JupyterLab's generic share glyph.
 */
export const dotscienceIcon = new LabIcon({
  name: 'jupyterlab-dotscience:icon',
  svgstr: svg
});
