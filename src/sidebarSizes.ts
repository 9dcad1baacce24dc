/**
 * How the Dotscience sidebar shares its height among its open sections.
 *
 * One section (the Runs list) stretches: it gets at least the height it needs to be useful
 * (`preferred`, e.g. five whole runs) and at least `share` of the room when the others can
 * spare it, and every pixel no other section needs. The other sections get the height
 * their content needs, each at most `cap` of the room; when that leaves the stretching
 * section short of its preferred height they give it back down to `floor` each (they
 * scroll), in proportion to what they were given above the floor. With the stretching
 * section closed, the sections short of room keep their whole content and the tall ones
 * share what is left.
 */

/**
 * What one section needs, in px.
 */
export interface ISectionNeed {
  /** whether the section is collapsed (it then gets 0) */
  hidden: boolean;
  /** whether the section takes the free height (the Runs list) */
  stretch: boolean;
  /** the height of its whole content; for a stretching section, ignored */
  natural: number;
  /** for a stretching section, the height below which it is cramped */
  preferred: number;
}

/**
 * The sharing rules.
 */
export interface ISharing {
  /** the least height (px) of a non-stretching section when its content is taller */
  floor: number;
  /** the most a non-stretching section gets before the stretching one is served, 0-1 */
  cap: number;
  /** the share of the room the stretching section gets when the others can spare it, 0-1 */
  share: number;
}

/**
 * The rules the sidebar uses: a floor of one line of text, at most 40 % of the room for a
 * small section, half the room for the Runs list.
 */
export const DEFAULT_SHARING: ISharing = { floor: 28, cap: 0.4, share: 0.5 };

/**
 * Share `room` px among sections.
 *
 * @param room the height the sections share (titles and handles already taken off)
 * @param needs what each section needs, in panel order
 * @param sharing the rules
 * @returns each section's height in px, in the same order, summing to `room` when a
 *   section is open (0 for a hidden one)
 */
export function shareHeight(
  room: number,
  needs: readonly ISectionNeed[],
  sharing: ISharing = DEFAULT_SHARING
): number[] {
  const sizes = needs.map(() => 0);
  room = Math.max(0, room);
  const open = needs.map((n, i) => i).filter(i => !needs[i].hidden);
  if (open.length === 0) {
    return sizes;
  }
  const stretching = open.filter(i => needs[i].stretch);
  const others = open.filter(i => !needs[i].stretch);
  const natural = (i: number) => Math.max(0, needs[i].natural);
  const want = new Map(
    others.map(i => [i, Math.min(natural(i), sharing.cap * room)])
  );
  const floor = new Map(
    others.map(i => [i, Math.min(want.get(i)!, sharing.floor)])
  );
  const sum = (values: Iterable<number>) =>
    Array.from(values).reduce((a, b) => a + b, 0);

  if (stretching.length === 0) {
    const total = sum(others.map(natural));
    if (total <= room) {
      // No section takes the free height and all fit: each grows in proportion.
      for (const i of others) {
        sizes[i] =
          total > 0 ? (room * natural(i)) / total : room / others.length;
      }
      return sizes;
    }
    // Too little room: the shorter sections keep their whole content and the taller ones
    // share the rest equally (they scroll).
    let left = room;
    const byNeed = [...others].sort((a, b) => natural(a) - natural(b));
    byNeed.forEach((i, k) => {
      sizes[i] = Math.min(natural(i), left / (byNeed.length - k));
      left -= sizes[i];
    });
    return sizes;
  }

  // The stretching sections' claim: their preferred height and their share of the room.
  const preferred = sum(stretching.map(i => Math.max(0, needs[i].preferred)));
  const claim = Math.min(room, Math.max(preferred, sharing.share * room));
  const wanted = sum(want.values());
  const floors = sum(floor.values());
  let left = room - claim;
  if (left >= wanted) {
    // Every small section gets what it needs; the rest goes to the stretching ones.
    for (const i of others) {
      sizes[i] = want.get(i)!;
    }
    left = room - wanted;
  } else if (left >= floors) {
    // The small sections give back down to their floors, in proportion to their excess.
    const k = wanted > floors ? (left - floors) / (wanted - floors) : 0;
    for (const i of others) {
      const f = floor.get(i)!;
      sizes[i] = f + (want.get(i)! - f) * k;
    }
    left = claim;
  } else {
    // Not even the floors fit beside the preferred height: floors first, if they fit.
    const scale = floors > room ? room / floors : 1;
    for (const i of others) {
      sizes[i] = floor.get(i)! * scale;
    }
    left = room - floors * scale;
  }
  const weights = stretching.map(i => Math.max(1, needs[i].preferred));
  const totalWeight = sum(weights);
  stretching.forEach((i, k) => {
    sizes[i] = (left * weights[k]) / totalWeight;
  });
  return sizes;
}
