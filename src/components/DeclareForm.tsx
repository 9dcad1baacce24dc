import React, { useState } from 'react';
import { Wire } from '../tokens';

/**
 * Props of {@link DeclareForm}.
 */
export interface IDeclareFormProps {
  /**
   * Called with what the user declared.
   */
  onDeclare: (declaration: Wire.Kernel.IDeclaration) => void;
  disabled?: boolean;
}

type Kind = 'input' | 'output' | 'parameter' | 'label';

/**
 * Parse a typed value: a number or boolean when it reads as one, else the text.
 *
 * @param text what the user typed
 * @returns the value to declare
 */
export function parseValue(text: string): Wire.Value {
  const t = text.trim();
  if (t === 'true' || t === 'True') {
    return true;
  }
  if (t === 'false' || t === 'False') {
    return false;
  }
  if (t !== '' && !Number.isNaN(Number(t))) {
    return Number(t);
  }
  return text;
}

/**
 * A one-line form declaring an input/output path or a parameter/label `k=v`.
 *
 * @returns the form
 */
export function DeclareForm(props: IDeclareFormProps): JSX.Element {
  const [kind, setKind] = useState<Kind>('parameter');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const isPath = kind === 'input' || kind === 'output';
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const value = text.trim();
    if (!value) {
      return;
    }
    if (isPath) {
      props.onDeclare({ kind, path: value });
    } else {
      const at = value.indexOf('=');
      if (at <= 0) {
        setError('Write it as name=value.');
        return;
      }
      const key = value.slice(0, at).trim();
      const raw = value.slice(at + 1);
      props.onDeclare({
        kind,
        key,
        value: kind === 'label' ? raw.trim() : parseValue(raw)
      });
    }
    setError(null);
    setText('');
  };
  return (
    <form
      className="jp-Dotscience-declare"
      onSubmit={submit}
      aria-label="Declare"
    >
      <select
        className="jp-mod-styled"
        aria-label="What to declare"
        value={kind}
        onChange={e => setKind(e.target.value as Kind)}
      >
        <option value="parameter">Parameter</option>
        <option value="label">Label</option>
        <option value="input">Input</option>
        <option value="output">Output</option>
      </select>
      <input
        className="jp-mod-styled"
        aria-label="Declaration"
        placeholder={isPath ? 'path/to/file' : 'name=value'}
        value={text}
        onChange={e => setText(e.target.value)}
      />
      <button
        type="submit"
        className="jp-mod-styled jp-mod-accept"
        disabled={props.disabled || !text.trim()}
      >
        Declare
      </button>
      {error && (
        <p className="jp-Dotscience-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
