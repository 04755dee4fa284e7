"""The suite's one rate syntax, and the bug it fixes: realtime accepted rates throttling refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error

from forge_suite.core.checks import check_forge_setting
from forge_suite.core.rates import Rate, parse_rate


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10/s", (10, 1)),
        ("60/m", (60, 60)),
        ("1000/h", (1000, 3600)),
        ("5/10s", (5, 10)),
        ("3/d", (3, 86400)),
        ("7/2m", (7, 120)),
        ("4/", (4, 1)),
        (" 8 / 2 M ", (8, 120)),
        ((9, 30), (9, 30)),
        (Rate(2, 5.0), (2, 5)),
    ],
)
def test_accepted_forms(value: Any, expected: tuple[int, int]) -> None:
    rate = parse_rate(value)
    assert isinstance(rate, Rate)
    assert (rate.limit, rate.period) == expected
    assert isinstance(rate.limit, int)
    assert isinstance(rate.period, float)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "expected '<count>/<period>'"),
        ("ten/m", "expected '<count>/<period>'"),
        ("10/w", "units s, m, h, d"),
        ("10/sec", "expected '<count>/<period>'"),
        ("10 per m", "expected '<count>/<period>'"),
        ("0/m", "count must be at least 1"),
        ("-1/m", "expected '<count>/<period>'"),
        ("10/0s", "period must be at least 1 second"),
        ((1, 2, 3), "rate tuple must be"),
        ((1, "2"), "rate tuple must be"),
        (None, "must be a string like '60/m'"),
        (10, "must be a string like '60/m'"),
    ],
)
def test_refused_forms_name_the_value(value: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        parse_rate(value)
    assert repr(value) in str(info.value)


@pytest.mark.needs_apps("forge_suite.realtime", "forge_suite.throttling")
def test_throttling_and_realtime_parse_with_core() -> None:
    from forge_suite.realtime.throttle import parse_rate as realtime_parse
    from forge_suite.throttling.exceptions import InvalidRate
    from forge_suite.throttling.rates import parse_rate as throttling_parse

    for value in ("10/s", "5/10s", "1000/h", (3, 7)):
        core = parse_rate(value)
        assert throttling_parse(value) == (core.limit, core.period)
        assert realtime_parse(value) == core
    with pytest.raises(InvalidRate, match="'10/sec'"):
        throttling_parse("10/sec")
    with pytest.raises(ValueError, match="client_event_rate '10/sec'"):
        realtime_parse("10/sec")


CANDIDATES = ["10/sec", "10/second", "600/min", "10/s", "600/m", "5/10s", "10/h", "4/", "10/S"]


@pytest.mark.needs_apps("forge_suite.realtime", "forge_suite.throttling")
@pytest.mark.parametrize("rate", CANDIDATES)
async def test_client_event_rate_is_refused_by_check_or_works_with_throttling(
    settings: Any, rate: str
) -> None:
    """One rule for both apps: what ``manage.py check`` accepts, a connection can use.

    Before the shared parser, realtime accepted "10/sec" and every WebSocket connect then
    failed inside throttling's Policy.
    """
    from forge_suite.realtime.throttle import ClientEventLimiter

    assert "forge_suite.throttling" in settings.INSTALLED_APPS
    app = {"id": "rates", "key": "k", "secret": "s", "client_event_rate": rate}
    settings.FORGE = {"REALTIME": {"APPS": [app]}}
    errors = [m for m in check_forge_setting() if isinstance(m, Error)]
    if errors:
        assert any("client_event_rate" in m.msg and repr(rate) in m.msg for m in errors), errors
        return
    limiter = ClientEventLimiter("rates", f"1.{rate}", rate)
    assert limiter.backend == "throttling"
    assert await limiter.allow() is True
