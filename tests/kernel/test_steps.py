"""Step numbering: the step of a series' last point, as the published record numbers it."""

from __future__ import annotations

import random

from dotscience.steps import last_step, numbered


def _numbered_last(points, previous):
    steps = [step for _, step, _ in numbered(points, previous)]
    return steps[-1] if steps else previous


def test_the_last_step_is_the_one_numbering_gives_the_last_point():
    # Given series of every shape: empty, without steps, with steps near the end, far
    # back, or only at the start, after a point of a known step or of none
    rng = random.Random(14)
    for _ in range(3000):
        n = rng.choice([0, 1, 2, 7, 8, 9, 15, 40])
        share = rng.choice([0.0, 0.05, 0.5, 1.0])
        points = [(0.0, rng.randrange(-5, 500) if rng.random() < share else None, 0.0)
                  for _ in range(n)]  # fmt: skip
        previous = rng.choice([-1, 0, 99])
        # Then the step of its last point is the one numbering every point gives
        assert last_step(points, previous) == _numbered_last(points, previous), (points, previous)


def test_a_million_points_without_steps_are_counted_not_walked():
    # Given a series of a million points without steps, and one with a step far back
    points = [(0.5, None, 0.0)] * 1_000_000
    stepped = [(0.5, 10, 0.0)] + points
    # Then their last steps are counted from the point before, or from the known step
    assert last_step(points) == 999_999
    assert last_step(points, previous=41) == 1_000_041
    assert last_step(stepped) == 1_000_010
