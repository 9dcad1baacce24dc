import { AccordionPanel, Widget } from '@lumino/widgets';
import * as api from '../api';
import { ModelsSection } from '../plugin';
import { ModelsModel } from '../registryModel';

jest.mock('../api');
const mocked = api as jest.Mocked<typeof api>;

/**
 * How many times the registry was asked for.
 */
const asked = () => mocked.listModels.mock.calls.length;

function setHidden(hidden: boolean): void {
  Object.defineProperty(document, 'hidden', {
    configurable: true,
    get: () => hidden
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('the Models section polls only while it is in view', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    mocked.listModels.mockResolvedValue([]);
    mocked.listDeployments.mockResolvedValue([]);
    setHidden(false);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.resetAllMocks();
  });

  it('asks nothing while collapsed, its sidebar closed or the browser tab hidden', () => {
    // Given the Models section in a sidebar (an accordion, as the Dotscience sidebar),
    // polling every 2 s
    const model = new ModelsModel();
    model.start(2000);
    const section = new ModelsSection(
      model,
      () => undefined,
      () => false
    );
    const sidebar = new AccordionPanel();
    sidebar.addWidget(new Widget());
    sidebar.addWidget(section);
    // When the sidebar is not open (never attached): nothing is asked
    jest.advanceTimersByTime(10000);
    expect(asked()).toBe(0);
    // When it opens: at once, then every 2 s
    Widget.attach(sidebar, document.body);
    expect(model.polling).toBe(true);
    expect(asked()).toBe(1);
    jest.advanceTimersByTime(4000);
    expect(asked()).toBe(3);
    // When the section is collapsed: nothing more
    sidebar.collapse(1);
    expect(model.polling).toBe(false);
    jest.advanceTimersByTime(10000);
    expect(asked()).toBe(3);
    // When it is expanded again: at once
    sidebar.expand(1);
    expect(asked()).toBe(4);
    // When the browser tab goes to the background, and comes back
    setHidden(true);
    jest.advanceTimersByTime(10000);
    expect(asked()).toBe(4);
    setHidden(false);
    expect(asked()).toBe(5);
    // When the whole sidebar is hidden (another left panel chosen)
    sidebar.hide();
    jest.advanceTimersByTime(10000);
    expect(asked()).toBe(5);
    sidebar.show();
    expect(asked()).toBe(6);
    // When the sidebar is closed for good
    Widget.detach(sidebar);
    jest.advanceTimersByTime(10000);
    expect(asked()).toBe(6);
    model.dispose();
    sidebar.dispose();
  });
});
