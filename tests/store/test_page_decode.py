"""A page of run summaries decodes its metric values in one call to the JSON parser, with
the same values, in the same order, as decoding each alone."""

from __future__ import annotations

import json

import pytest

from jupyterlab_dotscience.store.sql import _loads_many


def test_values_of_every_kind_decode_as_each_alone():
    # Given stored texts of every kind a metric value takes, and nulls (no min or max)
    texts = ["1", None, "-2.5e-07", '{"$float": "nan"}', '"high"', "true", "null",
             str(10**30), '"a, b"', "[1, 2]"]  # fmt: skip
    # When they are decoded together
    # Then each is what it decodes to alone
    assert _loads_many(texts) == [None if t is None else json.loads(t) for t in texts]
    assert _loads_many([]) == []


def test_a_text_that_is_not_one_value_fails_as_it_would_alone():
    # Given a corrupt stored text that would pass as two values when joined with others
    texts = ["1", "2,3", "4"]
    # When they are decoded, Then the bad text is refused, not silently shifted
    with pytest.raises(json.JSONDecodeError):
        _loads_many(texts)
