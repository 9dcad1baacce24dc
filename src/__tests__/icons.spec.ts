import { dotscienceIcon } from '../icons';

describe('the sidebar icon', () => {
  it('is a page with a metric series, not the generic three-node share glyph', () => {
    // Given the icon's SVG
    const doc = new DOMParser().parseFromString(
      dotscienceIcon.svgstr,
      'image/svg+xml'
    );
    // Then it draws one result dot at the end of a series on a page outline
    expect(doc.querySelectorAll('circle')).toHaveLength(1);
    expect(doc.querySelectorAll('polyline')).toHaveLength(1);
    expect(doc.querySelector('path')?.getAttribute('d')).toMatch(/^M5 2\.9/);
    // And its strokes follow the theme (JupyterLab recolours jp-icon3 strokes) and are
    // never filled by the theme's fill rule
    for (const el of Array.from(doc.querySelectorAll('.jp-icon3'))) {
      expect(el.getAttribute('stroke')).toBeTruthy();
      expect(el.getAttribute('style')).toContain('fill:none');
    }
  });
});
