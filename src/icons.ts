import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="5" cy="12" r="3"/>
    <circle cx="19" cy="5" r="3"/>
    <circle cx="19" cy="19" r="3"/>
    <path d="M7.5 11 16.6 6.3l.9 1.8-9.1 4.7zm0 2 9.1 4.7-.9 1.8-9.1-4.7z"/>
  </g>
</svg>`;

/**
 * The Dotscience icon: a run linked to the data it read and wrote.
 */
export const dotscienceIcon = new LabIcon({
  name: 'jupyterlab-dotscience:icon',
  svgstr: svg
});
