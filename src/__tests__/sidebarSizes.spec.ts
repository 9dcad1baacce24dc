import { ISectionNeed, shareHeight } from '../sidebarSizes';

/** A small section whose content is `natural` px high. */
const small = (natural: number, hidden = false): ISectionNeed => ({
  hidden,
  stretch: false,
  natural,
  preferred: 0
});

/** The Runs list, cramped below `preferred` px. */
const runs = (preferred: number, hidden = false): ISectionNeed => ({
  hidden,
  stretch: true,
  natural: 0,
  preferred
});

const total = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);

describe('shareHeight', () => {
  it('gives the Runs list its preferred height with every section open in a short sidebar', () => {
    // Given 601 px for six open sections (a 900 px window): current run, runs, models,
    // projects, API keys and server, whose contents want far more than the room
    const needs = [
      small(72),
      runs(442),
      small(131),
      small(151),
      small(241),
      small(97)
    ];
    // When the room is shared
    const sizes = shareHeight(601, needs);
    // Then the Runs list gets at least its preferred height
    expect(sizes[1]).toBeGreaterThanOrEqual(442);
    // And every other section keeps at least one line (28 px) and scrolls for the rest
    for (const i of [0, 2, 3, 4, 5]) {
      expect(sizes[i]).toBeGreaterThanOrEqual(28);
    }
    // And the sections fill the room exactly
    expect(total(sizes)).toBeCloseTo(601, 6);
  });

  it('lets small sections take only the height their content needs and gives the rest to Runs', () => {
    // Given a tall sidebar with an empty current run (60 px) and empty models (70 px)
    const sizes = shareHeight(1000, [small(60), runs(400), small(70)]);
    // Then each small section is exactly as tall as its content
    expect(sizes[0]).toBe(60);
    expect(sizes[2]).toBe(70);
    // And the Runs list gets all the rest
    expect(sizes[1]).toBe(870);
  });

  it('gives Runs half the room before a tall small section grows past it', () => {
    // Given 1000 px and two small sections with 300 px of content each
    const sizes = shareHeight(1000, [small(300), runs(300), small(300)]);
    // Then the Runs list gets half the room and the two others share the other half
    expect(sizes[1]).toBeCloseTo(500, 6);
    expect(sizes[0]).toBeCloseTo(250, 6);
    expect(sizes[2]).toBeCloseTo(250, 6);
  });

  it('caps a small section with long content at 40% of the room', () => {
    // Given a models section with 5,000 px of content beside the Runs list
    const sizes = shareHeight(1000, [runs(200), small(5000)]);
    // Then it gets at most 40% and the Runs list the rest
    expect(sizes[1]).toBeCloseTo(400, 6);
    expect(sizes[0]).toBeCloseTo(600, 6);
  });

  it('gives collapsed sections nothing', () => {
    // Given the current run and server collapsed
    const sizes = shareHeight(500, [
      small(80, true),
      runs(300),
      small(100),
      small(90, true)
    ]);
    // Then they get 0 and the open ones fill the room
    expect(sizes[0]).toBe(0);
    expect(sizes[3]).toBe(0);
    expect(sizes[2]).toBe(100);
    expect(sizes[1]).toBe(400);
  });

  it('gives the whole room to the open sections when Runs is collapsed', () => {
    // Given only the current run (200 px of content) and server (100 px) open
    const sizes = shareHeight(600, [small(200), runs(300, true), small(100)]);
    // Then the Runs list gets 0 and the two fill the room in proportion to their content
    expect(sizes[1]).toBe(0);
    expect(sizes[0]).toBeCloseTo(400, 6);
    expect(sizes[2]).toBeCloseTo(200, 6);
  });

  it('keeps a short section whole beside a tall one when Runs is collapsed', () => {
    // Given only the current run (900 px of content) and projects (100 px) open in 600 px
    const sizes = shareHeight(600, [small(900), runs(300, true), small(100)]);
    // Then projects shows all of its content and the current run scrolls in the rest
    expect(sizes[2]).toBe(100);
    expect(sizes[0]).toBe(500);
    expect(sizes[1]).toBe(0);
  });

  it('never hands out a negative height when the room is tiny', () => {
    // Given 100 px for the Runs list and five small sections of 28 px floors each
    const needs = [runs(442), ...[1, 2, 3, 4, 5].map(() => small(200))];
    // When the room is shared
    const sizes = shareHeight(100, needs);
    // Then no size is negative and they still sum to the room
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(0);
    }
    expect(total(sizes)).toBeCloseTo(100, 6);
  });

  it('gives nothing when every section is collapsed', () => {
    // Given every section collapsed
    const sizes = shareHeight(500, [small(80, true), runs(300, true)]);
    // Then every size is 0
    expect(sizes).toEqual([0, 0]);
  });
});
