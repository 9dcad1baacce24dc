import { ReactWidget, SidePanel, UseSignal } from '@jupyterlab/ui-components';
import {
  AccordionLayout,
  AccordionPanel,
  SplitLayout,
  Widget
} from '@lumino/widgets';
import React from 'react';
import { CurrentRun } from './components/CurrentRun';
import { ServerInfo } from './components/ServerInfo';
import { dotscienceIcon } from './icons';
import { ISectionNeed, shareHeight } from './sidebarSizes';
import { IDotscienceSidebar, IKernelRun, IRunTracker } from './tokens';

/**
 * The "Server" section: connection state and the versions of the three parts.
 */
export class ServerSection extends ReactWidget {
  /**
   * @param tracker the run tracker to render
   */
  constructor(private readonly tracker: IRunTracker) {
    super();
    this.addClass('jp-Dotscience-section');
    this.title.label = 'Server';
  }

  protected render(): JSX.Element {
    const tracker = this.tracker;
    return (
      <UseSignal signal={tracker.changed}>
        {() => (
          <div className="jp-Dotscience-panel">
            <ServerInfo
              frontendVersion={tracker.frontendVersion}
              server={tracker.server}
              status={tracker.status}
              error={tracker.error}
              warnings={tracker.versionWarnings}
              onRetry={() => void tracker.refresh()}
            />
          </div>
        )}
      </UseSignal>
    );
  }
}

/**
 * A sidebar section that takes the free height (the Runs list): it says how tall it must be
 * to be useful.
 */
export interface IStretchingSection {
  /**
   * The height (px) below which the section is cramped, measured from its content.
   */
  preferredHeight(): number;
}

/**
 * Whether a section takes the sidebar's free height.
 *
 * @param widget a section
 * @returns true when it says its preferred height
 */
function isStretching(widget: Widget): widget is Widget & IStretchingSection {
  return (
    typeof (widget as Partial<IStretchingSection>).preferredHeight ===
    'function'
  );
}

/**
 * The Dotscience sidebar: an accordion of sections that plugins add.
 *
 * The open sections share the height by {@link shareHeight}: a small section gets the
 * height of its content (and scrolls when the sidebar cannot give it that), the Runs list
 * (an {@link IStretchingSection}) the rest. The share is made again when a section opens
 * or closes, the sidebar is resized or a section's content changes height; once the user
 * drags a handle between sections, their sizes are kept until a section opens or closes.
 */
export class DotscienceSidebar extends SidePanel implements IDotscienceSidebar {
  constructor() {
    super();
    this.id = 'jp-Dotscience-sidebar';
    this.addClass('jp-Dotscience-sidebar');
    this.title.icon = dotscienceIcon;
    this.title.caption = 'Dotscience';
    const heading = new Widget();
    heading.node.innerHTML = '<h2>Dotscience</h2>';
    heading.addClass('jp-Dotscience-header');
    this.header.addWidget(heading);
    this._accordion.expansionToggled.connect(this._onToggled, this);
    this._accordion.node.addEventListener('pointerdown', this, true);
    if (typeof ResizeObserver !== 'undefined') {
      this._resizes = new ResizeObserver(() => this._schedule());
    }
    if (typeof MutationObserver !== 'undefined') {
      this._mutations = new MutationObserver(() => this._observe());
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resizes?.disconnect();
    this._mutations?.disconnect();
    this._accordion.node.removeEventListener('pointerdown', this, true);
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    super.dispose();
  }

  /**
   * Add a section, ordered by rank (lower first).
   *
   * @param widget the section; its `title.label` is the section heading
   * @param rank the position among sections
   */
  addSection(widget: Widget, rank: number): void {
    Private.rank.set(widget, rank);
    const ranks = this.widgets.map(w => Private.rank.get(w) ?? 0);
    const index = ranks.findIndex(r => r > rank);
    // A stretching section also takes the growth when the user has sized the sections.
    SplitLayout.setStretch(widget, isStretching(widget) ? 1 : 0);
    this.insertWidget(index < 0 ? this.widgets.length : index, widget);
    this._observe();
    this._schedule();
  }

  /**
   * Handle the DOM events of the sidebar: a press on a handle between sections means the
   * user sizes them.
   *
   * @param event the event
   */
  handleEvent(event: Event): void {
    const target = event.target as HTMLElement | null;
    if (
      event.type === 'pointerdown' &&
      target?.classList.contains('lm-SplitPanel-handle')
    ) {
      this._userSized = true;
    }
  }

  /**
   * Share the height among the open sections now (it is also done on its own when
   * sections open or close, the sidebar is resized or a section's content changes).
   */
  share(): void {
    const accordion = this._accordion;
    const layout = accordion.layout as AccordionLayout;
    const widgets = layout.widgets;
    if (!this.isVisible || widgets.length === 0) {
      return;
    }
    const room = Private.room(accordion, layout);
    if (room <= 0) {
      return;
    }
    const needs: ISectionNeed[] = widgets.map(w => ({
      hidden: w.isHidden,
      stretch: isStretching(w),
      natural: w.isHidden || isStretching(w) ? 0 : Private.natural(w.node),
      preferred: isStretching(w) && !w.isHidden ? w.preferredHeight() : 0
    }));
    const sizes = shareHeight(room, needs);
    const current = layout.absoluteSizes();
    if (sizes.every((size, i) => Math.abs(size - (current[i] ?? 0)) < 1)) {
      return;
    }
    accordion.setRelativeSizes(sizes);
  }

  private get _accordion(): AccordionPanel {
    return this.content as AccordionPanel;
  }

  private _onToggled(): void {
    this._userSized = false;
    this._schedule();
  }

  // Watch the sidebar and two levels of each section's content: a change of their height
  // (or of the sidebar's) asks for a new share.
  private _observe(): void {
    const resizes = this._resizes;
    const mutations = this._mutations;
    resizes?.disconnect();
    mutations?.disconnect();
    resizes?.observe(this._accordion.node);
    for (const widget of this.widgets) {
      // a stretching section's preferred height depends on all it draws above and below
      // its list (a filter that appears, a banner): any element added or removed in it
      // asks for a new share
      mutations?.observe(widget.node, {
        childList: true,
        subtree: isStretching(widget)
      });
      for (const child of Array.from(widget.node.children)) {
        resizes?.observe(child);
        mutations?.observe(child, { childList: true });
        for (const grandchild of Array.from(child.children)) {
          resizes?.observe(grandchild);
        }
      }
    }
  }

  private _schedule(): void {
    if (this._userSized || this._frame) {
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      if (!this._userSized) {
        this.share();
      }
    });
  }

  private _userSized = false;
  private _frame = 0;
  private _resizes: ResizeObserver | null = null;
  private _mutations: MutationObserver | null = null;
}

namespace Private {
  export const rank = new WeakMap<Widget, number>();

  const px = (value: string) => parseFloat(value) || 0;

  /**
   * The height the sections share, as the accordion's layout computes it: its inner
   * height less the section titles and the handles between open sections.
   *
   * @param accordion the sidebar's accordion
   * @param layout its layout
   * @returns the height in px
   */
  export function room(
    accordion: AccordionPanel,
    layout: AccordionLayout
  ): number {
    const style = getComputedStyle(accordion.node);
    const box =
      px(style.paddingTop) +
      px(style.paddingBottom) +
      px(style.borderTopWidth) +
      px(style.borderBottomWidth);
    const open = layout.widgets.filter(w => !w.isHidden).length;
    return (
      accordion.node.offsetHeight -
      box -
      layout.titleSpace * layout.widgets.length -
      layout.spacing * Math.max(0, open - 1)
    );
  }

  /**
   * The height of a section's content: the bottom of its lowest child, whatever height
   * the section is given (it scrolls when shorter).
   *
   * @param node the section's node
   * @returns the height in px
   */
  export function natural(node: HTMLElement): number {
    let bottom = 0;
    for (const child of Array.from(node.children)) {
      if (child instanceof HTMLElement) {
        const margin = px(getComputedStyle(child).marginBottom);
        bottom = Math.max(
          bottom,
          child.offsetTop + child.offsetHeight + margin
        );
      }
    }
    const style = getComputedStyle(node);
    return bottom + px(style.paddingBottom) + px(style.borderBottomWidth);
  }
}

/**
 * The "Current run" section: follows the tracker's current run (the active notebook's).
 */
export class CurrentRunSection extends ReactWidget {
  /**
   * @param tracker the run tracker
   */
  constructor(private readonly tracker: IRunTracker) {
    super();
    this.addClass('jp-Dotscience-section');
    this.id = 'jp-Dotscience-currentRun';
    this.addClass('jp-Dotscience-currentRunSection');
    this.title.label = 'Current run';
    tracker.currentChanged.connect(this._follow, this);
    this._follow();
  }

  dispose(): void {
    this.tracker.currentChanged.disconnect(this._follow, this);
    this._run?.changed.disconnect(this._schedule, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <div className="jp-Dotscience-panel">
        <CurrentRun run={this._run} />
      </div>
    );
  }

  private _follow(): void {
    this._run?.changed.disconnect(this._schedule, this);
    this._run = this.tracker.current;
    this._run?.changed.connect(this._schedule, this);
    this.update();
  }

  // Coalesce bursts of kernel messages into one render per animation frame.
  private _schedule(): void {
    if (this._frame === 0) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this.update();
      });
    }
  }

  private _run: IKernelRun | null = null;
  private _frame = 0;
}
