/**
 * Jest's stand-in for uPlot (jsdom has no canvas): records what each chart was asked to
 * draw, so tests check the data and options the extension hands to the library. The real
 * drawing is checked in the browser (ui-tests/tests/charts.spec.ts).
 */
class FakePlot {
  constructor(options, data, target) {
    this.options = options;
    this.data = data;
    this.target = target;
    this.select = { left: 0, top: 0, width: 0, height: 0 };
    this.shown = {};
    this.destroyed = false;
    FakePlot.instances.push(this);
    const canvas = document.createElement('canvas');
    canvas.className = 'u-fake';
    target.appendChild(canvas);
    this.root = canvas;
  }

  setData(data) {
    this.data = data;
  }

  setSize(size) {
    this.options = { ...this.options, ...size };
  }

  setSeries(index, opts) {
    this.shown[index] = opts.show;
  }

  posToVal(pos) {
    return pos;
  }

  redraw() {}

  destroy() {
    this.destroyed = true;
    this.root.remove();
  }
}

FakePlot.instances = [];

module.exports = FakePlot;
module.exports.default = FakePlot;
