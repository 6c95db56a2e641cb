"""No regular expression run on document text can be made to hang (ReDoS).

Every case of ``redos_cases.py`` (a pathological input of about 100 KB for one pattern, run
through the public function that uses it) runs in a child process that is killed after
``LIMIT`` seconds. This is a hang detector, not a speed test: the linear patterns take
milliseconds here, so the limit leaves them a margin of more than a hundred times, while the
quadratic and cubic forms they replace take minutes or more on the same inputs. How long each
case takes is measured by ``benchmarks/bench_redos.py``. Each case's result is checked too:
what the function returns on the pathological input is what it should return.
"""

from __future__ import annotations

from functools import cache

import pytest
from redos_cases import CASES, Measurement, run_in_child, warm_up

#: Seconds a case may take, start of its child process included.
LIMIT = 5.0
NAMES = [case.name for case in CASES]


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Load the language model and lazy imports once, before the children are forked."""
    warm_up()


@cache
def outcome(name: str) -> Measurement | None:
    """The case run once in a child process (shared by the two tests of the case)."""
    return run_in_child(name, rounds=1, limit=LIMIT)


@pytest.mark.parametrize("name", NAMES)
def test_pathological_input_does_not_hang(name: str) -> None:
    assert outcome(name) is not None, f"{name!r} did not finish within {LIMIT:g} s"


@pytest.mark.parametrize("name", NAMES)
def test_pathological_input_gives_the_right_result(name: str) -> None:
    measured = outcome(name)
    if measured is None:
        pytest.fail(f"{name!r} did not finish within {LIMIT:g} s, so it gave no result")
    assert measured.correct, f"{name!r} returned {measured.result}"


def test_a_hang_is_detected() -> None:
    """The detector itself: a case that takes longer than its limit comes back as ``None``."""
    assert run_in_child("byline that is not one", rounds=1, limit=1e-9) is None
