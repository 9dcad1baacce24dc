import React from 'react';

/**
 * The width of an element, followed as it resizes (the charts draw on canvas or SVG at a
 * size in pixels, so they measure their container).
 *
 * @param ref the element
 * @param fixed a width to use instead of measuring
 * @param fallback the width used while the element measures 0 (not laid out yet)
 * @returns the width in CSS pixels (0 until measured)
 */
export function useWidth(
  ref: React.RefObject<HTMLElement>,
  fixed?: number,
  fallback = 300
): number {
  const [width, setWidth] = React.useState(fixed ?? 0);
  React.useLayoutEffect(() => {
    if (fixed !== undefined) {
      setWidth(fixed);
      return;
    }
    const el = ref.current;
    if (!el) {
      return;
    }
    const measure = () => {
      const w = Math.floor(el.getBoundingClientRect().width);
      setWidth(w > 0 ? w : fallback);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, fixed, fallback]);
  return width;
}
