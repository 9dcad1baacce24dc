import React from 'react';
import { Wire } from '../tokens';
import { humanSize, shortHash } from '../format';

/**
 * Props of {@link FileList}.
 */
export interface IFileListProps {
  files: readonly Wire.IFile[];
  /**
   * Paths declared from the UI and not yet acknowledged by the kernel.
   */
  pending: readonly string[];
  testId: string;
}

/**
 * Declared files with a short hash and a human size.
 *
 * @returns the list
 */
export function FileList(props: IFileListProps): JSX.Element {
  return (
    <ul className="jp-Dotscience-list" data-testid={props.testId}>
      {props.files.map(f => (
        <li key={f.path} title={f.sha256 ?? undefined}>
          <span className="jp-Dotscience-path">{f.path}</span>
          {f.missing && <span className="jp-Dotscience-tag">missing</span>}
          {f.sha256 && (
            <code className="jp-Dotscience-hash">{shortHash(f.sha256)}</code>
          )}
          {typeof f.size === 'number' && (
            <span className="jp-Dotscience-size">{humanSize(f.size)}</span>
          )}
        </li>
      ))}
      {props.pending.map(path => (
        <li key={`pending:${path}`} className="jp-Dotscience-pending">
          <span className="jp-Dotscience-path">{path}</span>
          <span className="jp-Dotscience-tag">pending</span>
        </li>
      ))}
    </ul>
  );
}
