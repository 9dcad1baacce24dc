import { render, screen } from '@testing-library/react';
import React from 'react';
import { ModelsPanel } from '../ModelsPanel';
import { ModelsModel } from '../registryModel';

describe('the Models section', () => {
  it('says how to get a model when the registry is empty', () => {
    // Given a registry that was read and has no models
    const model = new ModelsModel();
    model.loaded = true;
    // When the section is drawn
    const { container } = render(
      <ModelsPanel model={model} onPublishDeploy={null} />
    );
    // Then it says there are none and how to register one, instead of an empty table
    expect(screen.getByText(/No models registered yet/)).toBeTruthy();
    expect(container.textContent).toContain('ds.model(framework, name, path)');
    expect(
      container
        .querySelector('.jp-Dotscience-models-registry')
        ?.hasAttribute('hidden')
    ).toBe(true);
  });

  it('says nothing before the registry was read, and lists models once it has some', () => {
    // Given a registry not read yet
    const model = new ModelsModel();
    const { container, rerender } = render(
      <ModelsPanel model={model} onPublishDeploy={null} />
    );
    // Then no empty-state text is shown yet
    expect(container.querySelector('.jp-Dotscience-models-empty')).toBeNull();
    // When it was read and has a model
    model.loaded = true;
    model.models = [
      {
        name: 'iris',
        latest_version: 1,
        aliases: {},
        versions: [{ version: 1, framework: 'sklearn' }]
      } as any
    ];
    rerender(<ModelsPanel model={model} onPublishDeploy={null} />);
    // Then the table shows it and no empty-state text
    expect(container.querySelector('.jp-Dotscience-models-empty')).toBeNull();
    expect(container.textContent).toContain('iris');
  });
});
