"""Every REST route of the server extension, in one table."""

from __future__ import annotations

from . import artifacts, compare, keys, meta, models, projects, reproductions, runs, sweeps


def route_table() -> list[tuple]:
    """All ``(pattern, handler)`` pairs, relative to the server's base URL."""
    routes: list[tuple] = []
    for module in (meta, runs, compare, reproductions, artifacts, projects, keys, models, sweeps):
        routes.extend(module.ROUTES)
    return routes
