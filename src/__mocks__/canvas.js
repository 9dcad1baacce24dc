// jsdom has no 2D canvas and logs an error each time one is asked for; here, as in a
// browser without canvas support, getContext answers null, which the plots handle by
// drawing nothing (their DOM, legends and counts are what the unit tests check).
Object.defineProperty(HTMLCanvasElement.prototype, 'getContext', {
  configurable: true,
  value: () => null
});
