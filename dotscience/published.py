"""What ``publish()`` returns: the published run, read-only, shown as one line or one card.

The record itself carries the whole environment (every installed package), so printing it
fills a screen. :class:`PublishedRun` reads like the record (``run["id"]``, JSON-serialisable,
equal to the dict) but cannot be changed, and shows itself as one line of text and, in a
notebook, as a small card: id, description, counts and where to see the run.
"""

from __future__ import annotations

import html
import json

_READ_ONLY = "the published run is read-only; use .to_dict() for a copy you can change"


def _refuse(self, *args, **kwargs):
    raise TypeError(_READ_ONLY)


def _thaw(value):
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_thaw(v) for v in value]
    return value


def _freeze(value):
    if isinstance(value, dict):
        return FrozenDict({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return FrozenList(_freeze(v) for v in value)
    return value


class FrozenDict(dict):
    """A dict that refuses changes (it stays a dict: JSON, ``==`` and ``isinstance`` work)."""

    __slots__ = ()
    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo) -> dict:
        return _thaw(self)

    def __reduce__(self):
        return (dict, (_thaw(self),))


class FrozenList(list):
    """A list that refuses changes."""

    __slots__ = ()
    __setitem__ = __delitem__ = append = extend = insert = remove = pop = clear = _refuse
    sort = reverse = __iadd__ = __imul__ = _refuse

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo) -> list:
        return _thaw(self)

    def __reduce__(self):
        return (list, (_thaw(self),))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PublishedRun(FrozenDict):
    """The published run record, read-only.

    Parameters
    ----------
    record : dict
        The run as stored (or as sent, when the server could not be reached).
    where : str
        One sentence saying where the run can be seen.
    open_run : bool
        Offer a button that opens the run in JupyterLab (the extension is attached).
    """

    __slots__ = ("where", "_open_run")

    def __init__(self, record: dict, where: str, open_run: bool = False):
        dict.__init__(self, {k: _freeze(v) for k, v in record.items()})
        self.where = where
        self._open_run = open_run

    def to_dict(self) -> dict:
        """A deep copy made of ordinary dicts and lists."""
        return _thaw(self)

    def __deepcopy__(self, memo) -> dict:
        return _thaw(self)

    def _counts(self) -> list[tuple[int, str]]:
        def n(key):
            value = self.get(key)
            return len(value) if isinstance(value, dict | list) else 0

        return [(n("inputs"), "input"), (n("outputs"), "output"),
                (n("parameters"), "parameter"), (n("metrics"), "metric")]  # fmt: skip

    def __repr__(self) -> str:
        description = self.get("description")
        about = f" {_short(description, 60)!r}" if description else ""
        failed = " (failed)" if self.get("error") else ""
        counts = ", ".join(_plural(n, w) for n, w in self._counts())
        run_id = _short(self.get("id"), 80)
        return f"<published run {run_id}{about}{failed}: {counts}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        e = html.escape
        run_id = str(self.get("id"))
        description = self.get("description")
        rows = [
            f'<div style="font-weight:600">Published run <code style="white-space:nowrap">'
            f"{e(run_id)}</code></div>"
        ]
        if description:
            rows.append(f'<div class="ds-description">{e(_short(description, 200))}</div>')
        if self.get("error"):
            rows.append(
                '<div style="color:var(--jp-error-color1,#d32f2f)">Failed: '
                f"{e(_short(self['error'], 200))}</div>"
            )
        counts = " · ".join(f"<b>{n}</b> {e(w if n == 1 else w + 's')}"
                            for n, w in self._counts())  # fmt: skip
        rows.append(f"<div>{counts}</div>")
        rows.append(f'<div style="color:var(--jp-ui-font-color2,#616161)">{e(self.where)}</div>')
        if self._open_run:
            args = e(json.dumps({"id": run_id}), quote=True)
            rows.append(
                '<button class="jp-Button jp-mod-styled jp-mod-accept" style="align-self:flex-start" '
                'data-commandlinker-command="dotscience:open-run" '
                f'data-commandlinker-args="{args}">Open run</button>'
            )
        return (
            '<div class="jp-Dotscience-publishedCard" data-run-id="'
            f'{e(run_id)}" style="display:inline-flex;flex-direction:column;gap:4px;'
            "padding:8px 12px;border:1px solid var(--jp-border-color1,#bdbdbd);"
            "border-radius:4px;background:var(--jp-layout-color1,#fff);"
            'color:var(--jp-ui-font-color1,#212121);font-family:var(--jp-ui-font-family)">'
            + "".join(rows)
            + "</div>"
        )
