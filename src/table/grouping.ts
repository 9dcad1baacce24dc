import { summaryValue } from '../runs/compact';
import { TableRun } from './columns';

/**
 * A line of the table's body: a group's heading or a run.
 */
export type BodyRow =
  | { kind: 'group'; value: string; count: number; collapsed: boolean }
  | { kind: 'run'; run: TableRun; index: number };

/**
 * The body's lines, runs grouped by a parameter: one heading per value (in the order the
 * values first appear, so a table sorted by the parameter shows its groups in that order),
 * then the group's runs in table order; runs without the parameter form the group `—`.
 * Collapsed groups keep their heading only.
 *
 * @param runs the loaded runs, in the table's order
 * @param param the parameter to group by, or null for no groups
 * @param collapsed the values of collapsed groups
 * @returns the lines
 */
export function groupRows(
  runs: readonly TableRun[],
  param: string | null,
  collapsed: ReadonlySet<string> = new Set()
): BodyRow[] {
  if (!param) {
    return runs.map((run, index) => ({ kind: 'run', run, index }));
  }
  const groups = new Map<string, number[]>();
  runs.forEach((run, index) => {
    const value = summaryValue(run, 'parameters', param) ?? '—';
    const members = groups.get(value);
    if (members) {
      members.push(index);
    } else {
      groups.set(value, [index]);
    }
  });
  const rows: BodyRow[] = [];
  for (const [value, members] of groups) {
    const isCollapsed = collapsed.has(value);
    rows.push({
      kind: 'group',
      value,
      count: members.length,
      collapsed: isCollapsed
    });
    if (!isCollapsed) {
      for (const index of members) {
        rows.push({ kind: 'run', run: runs[index], index });
      }
    }
  }
  return rows;
}
