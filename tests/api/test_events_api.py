"""The event-store endpoints through a real OAuth2 client: append with an expected version
(409 on a conflict), read a stream, follow the global order with ``next``; bad input named."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import MachineClient

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.eventstore"),
    pytest.mark.django_db(transaction=True),
]


def test_append_read_and_follow_the_global_order(
    machine_client: Callable[..., MachineClient],
) -> None:
    client = machine_client()
    session = client.session(["events:read", "events:write"])
    stream = f"{client.base}/api/v1/events/streams/order-42/"

    first = session.post(
        stream,
        json={
            "expected_version": "no_stream",
            "events": [
                {"type": "OrderPlaced", "data": {"total": 30}},
                {"type": "OrderPaid", "data": {"amount": 30}, "metadata": {"by": "api"}},
            ],
        },
    )
    assert first.status_code == 201, first.content
    assert [e["version"] for e in first.json()] == [1, 2]

    again = session.post(
        stream, json={"expected_version": "no_stream", "events": [{"type": "X", "data": {}}]}
    )
    assert again.status_code == 409
    stale = session.post(
        stream, json={"expected_version": 1, "events": [{"type": "X", "data": {}}]}
    )
    assert stale.status_code == 409
    shipped = session.post(
        stream, json={"expected_version": 2, "events": [{"type": "OrderShipped", "data": {}}]}
    )
    assert shipped.status_code == 201

    events = session.get(stream).json()
    assert [(e["version"], e["type"]) for e in events] == [
        (1, "OrderPlaced"),
        (2, "OrderPaid"),
        (3, "OrderShipped"),
    ]
    assert events[1]["metadata"]["by"] == "api"
    assert [e["version"] for e in session.get(stream, params={"from_version": 2}).json()] == [2, 3]

    seen: list[str] = []
    after = "0:0"
    for _ in range(5):
        page = session.get(
            f"{client.base}/api/v1/events/all/", params={"after": after, "limit": 2}
        ).json()
        seen += [e["type"] for e in page["events"] if e["stream_id"] == "order-42"]
        if not page["events"]:
            break
        after = page["next"]
    assert seen == ["OrderPlaced", "OrderPaid", "OrderShipped"]
    only = session.get(f"{client.base}/api/v1/events/all/", params={"type": "OrderPaid"}).json()
    assert {e["type"] for e in only["events"]} == {"OrderPaid"}


def test_bad_input_names_the_field_and_read_scope_cannot_append(
    machine_client: Callable[..., MachineClient],
) -> None:
    client = machine_client()
    writer = client.session(["events:read", "events:write"])
    stream = f"{client.base}/api/v1/events/streams/bad-1/"
    for body, field in (
        ({"expected_version": "soon", "events": [{"type": "X", "data": {}}]}, "expected_version"),
        ({"expected_version": -1, "events": [{"type": "X", "data": {}}]}, "expected_version"),
        ({"events": []}, "events"),
        ({"events": [{"type": "X", "data": [1, 2]}]}, "events"),
        ({"events": [{"data": {}}]}, "events"),
        ({"events": [{"type": "X", "data": {}}] * 101}, "events"),
    ):
        response = writer.post(stream, json=body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()
    for params, field in (({"after": "x"}, "after"), ({"limit": 0}, "limit")):
        response = writer.get(f"{client.base}/api/v1/events/all/", params=params)
        assert response.status_code == 400
        assert field in response.json()
    long_stream = f"{client.base}/api/v1/events/streams/{'s' * 300}/"
    too_long = writer.post(long_stream, json={"events": [{"type": "X", "data": {}}]})
    assert too_long.status_code == 400
    assert "stream_id" in too_long.json()

    reader = client.session(["events:read"])
    refused = reader.post(stream, json={"events": [{"type": "X", "data": {}}]})
    assert refused.status_code == 403
