import { render } from '@testing-library/react';
import React from 'react';
import { deployment } from './fixtures';
import { ModelsPanel, deploymentOrigin } from '../ModelsPanel';
import { ModelsModel } from '../registryModel';

describe('who deployed a model and where it is served', () => {
  it('names the owner and the serving server by host and a short id', () => {
    expect(
      deploymentOrigin(
        deployment({
          owner: 'alice',
          server: 'nb-host-1/0123456789abcdef0123456789abcdef'
        })
      )
    ).toBe('deployed by alice · served by nb-host-1 (01234567)');
  });

  it('leaves out what the server does not know', () => {
    expect(deploymentOrigin(deployment({ owner: null, server: null }))).toBe(
      ''
    );
    expect(deploymentOrigin(deployment({ owner: 'bob' }))).toBe(
      'deployed by bob'
    );
  });

  it('shows it under the selected deployment', () => {
    // Given a team server's deployment made by alice on another server
    const model = new ModelsModel();
    model.loaded = true;
    model.deployments = [
      deployment({ owner: 'alice', server: 'gpu-box/fedcba98765432100000' })
    ];
    model.selected = 'd1';
    // When the Models section is drawn
    const { container } = render(
      <ModelsPanel model={model} onPublishDeploy={null} />
    );
    // Then the endpoint says who deployed it and which server serves it
    expect(
      container.querySelector('.jp-Dotscience-models-origin')?.textContent
    ).toBe('deployed by alice · served by gpu-box (fedcba98)');
  });
});
