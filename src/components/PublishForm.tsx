import React, { useState } from 'react';

/**
 * Props of {@link PublishForm}.
 */
export interface IPublishFormProps {
  /**
   * Called with the description (empty: keep the run's own).
   */
  onPublish: (description: string | null) => void;
  disabled?: boolean;
  /**
   * A publish request is waiting for the kernel.
   */
  publishing?: boolean;
}

/**
 * A description box and the Publish button.
 *
 * @returns the form
 */
export function PublishForm(props: IPublishFormProps): JSX.Element {
  const [description, setDescription] = useState('');
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    props.onPublish(description.trim() || null);
    setDescription('');
  };
  return (
    <form
      className="jp-Dotscience-publish"
      onSubmit={submit}
      aria-label="Publish run"
    >
      <input
        className="jp-mod-styled"
        aria-label="Run description"
        placeholder="Description (optional)"
        value={description}
        onChange={e => setDescription(e.target.value)}
      />
      <button
        type="submit"
        className="jp-mod-styled jp-mod-accept"
        disabled={props.disabled || props.publishing}
      >
        {props.publishing ? 'Publishing…' : 'Publish'}
      </button>
    </form>
  );
}
