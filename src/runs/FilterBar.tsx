import React, { useEffect, useState } from 'react';
import { formatValue } from '../values';
import {
  IRunQuery,
  VerdictFilter,
  parseLabelFilter,
  parseParamFilter
} from './query';
import { RestWire } from '../api/rest';

/**
 * Props of FilterBar.
 */
export interface IFilterBarProps {
  /** the list's query */
  query: IRunQuery;
  /** metric keys to offer for sorting and ranges */
  metricKeys: string[];
  /** parameter keys to offer for sorting */
  paramKeys: string[];
  /** projects on the server (a picker shows when there are several) */
  projects: readonly RestWire.IProject[];
  /** change the query */
  onQuery: (change: Partial<IRunQuery>) => void;
}

type Kind = 'param' | 'label' | 'metric';

function num(text: string): number | null {
  if (!text.trim()) {
    return null;
  }
  const v = Number(text);
  return isNaN(v) ? NaN : v;
}

/**
 * Search, filters and sort order of the run list. Filters show as removable chips.
 *
 * @param props bar props
 * @returns the bar
 */
export function FilterBar(props: IFilterBarProps): JSX.Element {
  const { query, onQuery } = props;
  const [text, setText] = useState(query.text);
  const [kind, setKind] = useState<Kind>('param');
  const [filter, setFilter] = useState('');
  const [metricKey, setMetricKey] = useState('');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  // Search as the user types, once they pause.
  useEffect(() => {
    if (text === query.text) {
      return;
    }
    const timer = setTimeout(() => onQuery({ text }), 300);
    return () => clearTimeout(timer);
  }, [text]);

  const add = () => {
    setProblem(null);
    if (kind === 'param') {
      const f = parseParamFilter(filter);
      if (!f) {
        setProblem('Write a parameter filter as name=value, name>=0.1, …');
        return;
      }
      onQuery({ params: [...query.params.filter(p => p !== f), f] });
      setFilter('');
    } else if (kind === 'label') {
      const f = parseLabelFilter(filter);
      if (!f) {
        setProblem('Write a label filter as key:value.');
        return;
      }
      onQuery({
        labels: [...query.labels.filter(l => l.key !== f.key), f]
      });
      setFilter('');
    } else {
      const lo = num(min);
      const hi = num(max);
      if (!metricKey.trim() || Number.isNaN(lo) || Number.isNaN(hi)) {
        setProblem(
          'Give a metric name and numeric bounds (either may be empty).'
        );
        return;
      }
      const key = metricKey.trim();
      onQuery({
        metrics: [
          ...query.metrics.filter(m => m.key !== key),
          { key, min: lo, max: hi }
        ]
      });
      setMetricKey('');
      setMin('');
      setMax('');
    }
  };
  const onEnter = (e: React.KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      add();
    }
  };

  const sortKeys = [
    { value: 'received', label: 'Published' },
    { value: 'start', label: 'Started' },
    ...props.metricKeys.map(k => ({
      value: `metric:${k}`,
      label: `Metric: ${k}`
    })),
    ...props.paramKeys.map(k => ({
      value: `param:${k}`,
      label: `Parameter: ${k}`
    }))
  ];
  if (!sortKeys.some(s => s.value === query.sort)) {
    sortKeys.push({ value: query.sort, label: query.sort });
  }
  const chips: { label: string; remove: () => void }[] = [
    ...query.params.map(p => ({
      label: `param ${p}`,
      remove: () => onQuery({ params: query.params.filter(q => q !== p) })
    })),
    ...query.labels.map(l => ({
      label: `label ${l.key}:${l.value}`,
      remove: () => onQuery({ labels: query.labels.filter(q => q !== l) })
    })),
    ...query.metrics.map(m => ({
      label: `${m.key} in [${m.min === null ? '−∞' : formatValue(m.min)}, ${
        m.max === null ? '∞' : formatValue(m.max)
      }]`,
      remove: () => onQuery({ metrics: query.metrics.filter(q => q !== m) })
    }))
  ];

  return (
    <div className="jp-Dotscience-filterBar">
      <input
        type="search"
        className="jp-Dotscience-input jp-Dotscience-search"
        placeholder="Search runs (description, notebook, author, id)"
        aria-label="Search runs"
        value={text}
        onChange={e => setText(e.target.value)}
        onKeyDown={e => e.key === 'Enter' && onQuery({ text })}
      />
      <div className="jp-Dotscience-row">
        {props.projects.length > 1 && (
          <select
            className="jp-Dotscience-select"
            aria-label="Project"
            value={query.project ?? ''}
            onChange={e => onQuery({ project: e.target.value || null })}
          >
            <option value="">All projects</option>
            {props.projects.map(p => (
              <option key={p.name} value={p.name}>
                {`${p.name} (${p.runs})`}
              </option>
            ))}
          </select>
        )}
        <select
          className="jp-Dotscience-select"
          aria-label="Status"
          value={query.status ?? ''}
          onChange={e =>
            onQuery({
              status: (e.target.value || null) as IRunQuery['status']
            })
          }
        >
          <option value="">Any status</option>
          <option value="succeeded">Succeeded</option>
          <option value="failed">Failed</option>
        </select>
        <select
          className="jp-Dotscience-select"
          aria-label="Verdict"
          value={query.verdict ?? ''}
          onChange={e =>
            onQuery({
              verdict: (e.target.value || null) as VerdictFilter | null
            })
          }
        >
          <option value="">Any verdict</option>
          <option value="identical">Identical</option>
          <option value="within_tolerance">Within tolerance</option>
          <option value="differs">Differs</option>
          <option value="failed">Replay failed</option>
          <option value="not_reproducible">Not reproducible</option>
          <option value="none">Never reproduced</option>
        </select>
        <label
          className="jp-Dotscience-check"
          title="Only runs with hidden-state warnings"
        >
          <input
            type="checkbox"
            checked={query.warnings}
            onChange={e => onQuery({ warnings: e.target.checked })}
          />
          <span>Warnings</span>
        </label>
        <select
          className="jp-Dotscience-select"
          aria-label="Sort by"
          value={query.sort}
          onChange={e => onQuery({ sort: e.target.value })}
        >
          {sortKeys.map(s => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <button
          className="jp-Dotscience-button"
          aria-label={
            query.desc
              ? 'Descending (click for ascending)'
              : 'Ascending (click for descending)'
          }
          title={query.desc ? 'Descending' : 'Ascending'}
          onClick={() => onQuery({ desc: !query.desc })}
        >
          {query.desc ? '↓' : '↑'}
        </button>
      </div>
      <div className="jp-Dotscience-row">
        <select
          className="jp-Dotscience-select"
          aria-label="Filter kind"
          value={kind}
          onChange={e => setKind(e.target.value as Kind)}
        >
          <option value="param">Parameter</option>
          <option value="label">Label</option>
          <option value="metric">Metric range</option>
        </select>
        {kind === 'metric' ? (
          <>
            <input
              className="jp-Dotscience-input jp-Dotscience-grow"
              aria-label="Metric name"
              placeholder="accuracy"
              list="jp-Dotscience-metricKeys"
              value={metricKey}
              onChange={e => setMetricKey(e.target.value)}
              onKeyDown={onEnter}
            />
            <datalist id="jp-Dotscience-metricKeys">
              {props.metricKeys.map(k => (
                <option key={k} value={k} />
              ))}
            </datalist>
            <input
              className="jp-Dotscience-input jp-Dotscience-bound"
              aria-label="Minimum"
              placeholder="min"
              inputMode="decimal"
              value={min}
              onChange={e => setMin(e.target.value)}
              onKeyDown={onEnter}
            />
            <input
              className="jp-Dotscience-input jp-Dotscience-bound"
              aria-label="Maximum"
              placeholder="max"
              inputMode="decimal"
              value={max}
              onChange={e => setMax(e.target.value)}
              onKeyDown={onEnter}
            />
          </>
        ) : (
          <input
            className="jp-Dotscience-input jp-Dotscience-grow"
            aria-label={kind === 'param' ? 'Parameter filter' : 'Label filter'}
            placeholder={kind === 'param' ? 'alpha>=0.1' : 'team:ml'}
            value={filter}
            onChange={e => setFilter(e.target.value)}
            onKeyDown={onEnter}
          />
        )}
        <button className="jp-Dotscience-button" onClick={add}>
          Add
        </button>
      </div>
      {problem && <div className="jp-Dotscience-error">{problem}</div>}
      {chips.length > 0 && (
        <ul className="jp-Dotscience-chips" aria-label="Active filters">
          {chips.map(c => (
            <li key={c.label} className="jp-Dotscience-chip">
              <span>{c.label}</span>
              <button
                aria-label={`Remove filter ${c.label}`}
                title="Remove filter"
                onClick={c.remove}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
