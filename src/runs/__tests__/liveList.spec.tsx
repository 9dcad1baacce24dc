import { fireEvent, render, screen } from '@testing-library/react';
import { Signal } from '@lumino/signaling';
import type { Event } from '@jupyterlab/services';
import React from 'react';
import { RunListModel } from '../listModel';
import { RunsPanel, runCount } from '../RunsPanel';
import {
  readRunPublished,
  refreshOnEvents,
  RUN_PUBLISHED_EVENT
} from '../refreshOnPublish';
import { FakeServer, summary } from '../../__tests__/runFixtures';

const many = (n: number) => Array.from({ length: n }, (_, i) => summary(i));

describe('the sidebar Runs list at scale', () => {
  it('says the total the server counts, not "100+ runs"', async () => {
    // Given 10,000 runs on the server and a page of 100 loaded
    const server = new FakeServer(many(10000));
    const model = new RunListModel({ api: server, pageSize: 100 });
    await model.refresh();
    // When the panel is drawn
    render(
      <RunsPanel
        model={model}
        scope="project"
        notebookPath={null}
        onScope={jest.fn()}
        onOpen={jest.fn()}
        onCompare={jest.fn()}
      />
    );
    // Then its footer says 10,000 runs
    expect(screen.getByTestId('ds-run-count').textContent).toBe('10,000 runs');
    expect(runCount(100, null, true)).toBe('100+ runs');
    expect(runCount(1, 1, false)).toBe('1 run');
    model.dispose();
  });

  it('ticks a range with shift-click, and every match with select-all', async () => {
    // Given 300 runs, 100 loaded
    const server = new FakeServer(many(300));
    const model = new RunListModel({ api: server, pageSize: 100 });
    await model.refresh();
    const ids = model.runs.map(r => r.id);
    // When run 3 is ticked, then run 7 shift-clicked
    model.toggleSelected(ids[3]);
    model.setAnchor(ids[3]);
    model.selectRange(ids[7]);
    // Then runs 3 to 7 are ticked, five in all
    expect(new Set(model.selected)).toEqual(new Set(ids.slice(3, 8)));
    // When run 5 is shift-clicked back from 7, the range 5..7 is unticked
    model.selectRange(ids[5]);
    expect(new Set(model.selected)).toEqual(new Set(ids.slice(3, 5)));
    // When the select-all box is ticked in the panel
    render(
      <RunsPanel
        model={model}
        scope="project"
        notebookPath={null}
        onScope={jest.fn()}
        onOpen={jest.fn()}
        onCompare={jest.fn()}
      />
    );
    fireEvent.click(screen.getByLabelText('Select every run that matches'));
    await new Promise(r => setTimeout(r, 0));
    // Then all 300 runs are selected, the 200 not loaded too, ids from the server
    expect(model.selected).toHaveLength(300);
    expect(server.idCalls).toHaveLength(1);
    model.dispose();
  });
});

describe('the live list', () => {
  const emission = (data: Record<string, string>): Event.Emission => ({
    schema_id: RUN_PUBLISHED_EVENT,
    ...data
  });

  it('reads run-published events and ignores the others', () => {
    expect(
      readRunPublished(
        emission({
          id: 'a',
          project: 'p',
          status: 'failed',
          received: '2026-11-30T06:00:00.000000Z'
        })
      )
    ).toEqual({
      id: 'a',
      project: 'p',
      status: 'failed',
      received: '2026-11-30T06:00:00.000000Z'
    });
    expect(
      readRunPublished({
        schema_id:
          'https://events.jupyter.org/jupyter_server/contents_service/v1',
        action: 'save'
      })
    ).toBeNull();
    expect(readRunPublished({ schema_id: RUN_PUBLISHED_EVENT })).toBeNull();
  });

  it('shows a run published elsewhere as soon as its event arrives', async () => {
    // Given a list of 3 runs subscribed to the server's events
    const server = new FakeServer(many(3));
    const model = new RunListModel({ api: server, pageSize: 100 });
    await model.refresh();
    const events = { stream: new Signal<unknown, Event.Emission>({}) };
    const stop = refreshOnEvents(events as unknown as Event.IManager, () => [
      model
    ]);
    // When a run is published (from another tab, or with an API key) and its event comes
    server.runs = [summary(99), ...server.runs];
    events.stream.emit(
      emission({
        id: server.runs[0].id,
        project: 'default',
        status: 'succeeded',
        received: ''
      })
    );
    await new Promise(r => setTimeout(r, 0));
    await new Promise(r => setTimeout(r, 0));
    // Then it is in the list, without polling
    expect(model.runs[0].id).toBe(summary(99).id);
    // And other events cause no request
    const before = server.calls.length;
    events.stream.emit({ schema_id: 'https://example.org/other', x: 1 });
    await new Promise(r => setTimeout(r, 0));
    expect(server.calls.length).toBe(before);
    stop();
    model.dispose();
  });

  it('keeps putting new runs on top, one small request per event, beyond a page', async () => {
    // Given a newest-first list showing its whole first page of 10 runs
    const server = new FakeServer(many(30));
    const model = new RunListModel({ api: server, pageSize: 10 });
    await model.refresh();
    // When 15 runs are published one after another, each announced
    for (let i = 0; i < 15; i++) {
      server.runs = [summary(100 + i), ...server.runs];
      const before = server.calls.length;
      await model.checkForNew();
      // Then each appears on top, fetched with one request of the newest few
      expect(model.runs[0].id).toBe(summary(100 + i).id);
      expect(server.calls.length).toBe(before + 1);
    }
    expect(model.runs).toHaveLength(25);
    expect(model.total).toBe(45);
    expect(model.newRunsAvailable).toBe(false);
    model.dispose();
  });

  it('looks again after a load when an event arrives during it', async () => {
    // Given a list whose reload is still in flight
    const server = new FakeServer(many(3));
    const model = new RunListModel({ api: server, pageSize: 100 });
    await model.refresh();
    const loading = model.refresh();
    // When a run is published during that load
    server.runs = [summary(42), ...server.runs];
    await model.checkForNew();
    await loading;
    await new Promise(r => setTimeout(r, 0));
    await new Promise(r => setTimeout(r, 0));
    // Then the list shows it once the load is done
    expect(model.runs.map(r => r.id)).toContain(summary(42).id);
    model.dispose();
  });
});
