"""Shared state (memory and Redis): batched presence, cluster-wide counts, stalls and crashes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from forge_suite.realtime.batching import Coalescer
from forge_suite.realtime.state import MemoryState


async def _states(kind: str, request: Any) -> AsyncIterator[Any]:
    made: list[Any] = []
    prefix = f"forge-rt-state-{uuid.uuid4().hex[:8]}"
    memory = MemoryState(30) if kind == "memory" else None

    def make(process: str = "p1", ttl: float = 30) -> Any:
        if memory is not None:
            memory.ttl = ttl
            return memory
        from forge_suite.realtime.redis_state import RedisState

        state = RedisState(request.getfixturevalue("redis_url"), prefix, ttl, process)
        made.append(state)
        return state

    yield make
    if made:
        redis = made[0].redis
        async for key in redis.scan_iter(match=f"{prefix}*"):
            await redis.delete(key)
    for state in made:
        await state.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_state(request: Any) -> AsyncIterator[Any]:
    """A factory of states (memory: one for the process; Redis: one per simulated process)."""
    async for make in _states(request.param, request):
        yield make


@pytest.fixture
async def redis_processes(request: Any) -> AsyncIterator[Any]:
    """A factory of Redis states, one per simulated server process, sharing a key prefix."""
    async for make in _states("redis", request):
        yield make


async def test_a_batch_of_joins_reports_first_connections_and_the_limit(make_state: Any) -> None:
    state = make_state()
    results, swept = await state.presence_join_many(
        [
            ("1", "presence-a", "u1", "1.1", '{"n":1}', 2),
            ("1", "presence-a", "u1", "1.2", '{"n":1}', 2),  # second tab of u1
            ("1", "presence-a", "u2", "1.3", '{"n":2}', 2),
            ("1", "presence-a", "u3", "1.4", '{"n":3}', 2),  # over the limit of 2
            ("1", "presence-b", "u3", "1.5", "null", 2),
        ]
    )
    assert [r[0] for r in results] == ["first", "again", "first", "full", "first"]
    assert results[0][2] == results[1][2] == results[2][2]  # one batch, one version
    assert results[0][1] == {"u1": '{"n":1}', "u2": '{"n":2}'}
    assert results[4][1] == {"u3": "null"}
    assert swept == []
    last = await state.presence_leave_many(
        [
            ("1", "presence-a", "u1", "1.1"),
            ("1", "presence-a", "u2", "1.3"),
            ("1", "presence-a", "u1", "1.2"),
        ]
    )
    assert last == [False, True, True]
    assert (await state.presence_members("1", "presence-a"))[0] == {}
    # The next batch of the channel has a newer member list.
    later, _ = await state.presence_join_many([("1", "presence-a", "u4", "1.6", "{}", 2)])
    assert later[0][2] > results[0][2]


@pytest.mark.redis
async def test_occupied_and_vacated_are_decided_once_for_all_processes(
    redis_processes: Any,
) -> None:
    a, b = redis_processes("a"), redis_processes("b")
    assert await a.sync_counts([("1", "news", 2, 2)]) == [("1", "news", 2, "occupied")]
    assert await b.sync_counts([("1", "news", 1, 1)]) == [("1", "news", 3, "")]
    assert await a.subscription_counts("1") == {"news": 3}
    assert await a.sync_counts([("1", "news", 0, -2)]) == [("1", "news", 1, "")]
    assert await b.sync_counts([("1", "news", 0, -1)]) == [("1", "news", 0, "vacated")]
    assert await b.subscription_counts("1") == {}


async def test_counts_of_one_process() -> None:
    state = MemoryState(30)
    assert await state.sync_counts([("1", "news", 2, 2)]) == [("1", "news", 2, "occupied")]
    assert await state.sync_counts([("1", "news", 1, -1)]) == [("1", "news", 1, "")]
    assert await state.sync_counts([("1", "news", 0, -1)]) == [("1", "news", 0, "vacated")]


@pytest.mark.redis
async def test_counts_of_a_dead_process_are_subtracted_and_a_stalled_one_rewrites_them(
    redis_processes: Any,
) -> None:
    a, b = redis_processes("a", ttl=0.3), redis_processes("b", ttl=30)
    await a.sync_counts([("1", "news", 2, 2), ("1", "solo", 1, 1)])
    await b.sync_counts([("1", "news", 1, 1)])
    await asyncio.sleep(0.5)  # a stalls past its TTL
    _, dead, swept = await b.heartbeat([], ["1"])
    assert swept is False
    assert sorted(dead) == [("1", "news", 1, ""), ("1", "solo", 0, "vacated")]
    assert await b.subscription_counts("1") == {"news": 1}
    # a wakes up: its heartbeat says it was swept, so it writes its counts again.
    _, _, swept = await a.heartbeat([], ["1"])
    assert swept is True


async def test_a_member_swept_while_its_process_stalled_is_added_again(make_state: Any) -> None:
    state = make_state(ttl=0.3)
    entry = ("1", "presence-a", "u1", "1.1", '{"n":1}')
    await state.presence_join_many([(*entry, 100)])
    await asyncio.sleep(0.5)  # no heartbeat for longer than the TTL
    members, removed = await state.presence_members("1", "presence-a")
    assert (members, removed) == ({}, ["u1"])
    readded, _, _ = await state.heartbeat([entry], ["1"])
    assert readded == [entry]
    assert (await state.presence_members("1", "presence-a"))[0] == {"u1": '{"n":1}'}
    readded, _, _ = await state.heartbeat([entry], ["1"])
    assert readded == []  # already there: not added twice


async def test_concurrent_submits_are_flushed_together() -> None:
    flushed: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        flushed.append(items)
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    coalescer: Coalescer[int, int] = Coalescer("test", flush)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(100)))
    assert results == [i * 10 for i in range(100)]
    assert len(flushed) <= 2
    assert sorted(i for batch in flushed for i in batch) == list(range(100))


async def test_a_failed_flush_fails_its_batch_only() -> None:
    calls = 0

    async def flush(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("redis away")
        return items

    coalescer: Coalescer[int, int] = Coalescer("test", flush)
    with pytest.raises(ConnectionError):
        await coalescer.submit(1)
    assert await coalescer.submit(2) == 2


async def test_subscription_counts_of_busy_channels_are_sent_at_most_every_interval(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forge_suite.realtime import hub as hub_module

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.FORGE = {
        "REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "s", "subscription_count": True}]}
    }
    sent: list[dict[str, Any]] = []

    async def publish(message: dict[str, Any]) -> None:
        sent.append(message)

    monkeypatch.setattr(hub_module, "publish", publish)
    monkeypatch.setattr(hub_module, "COUNT_INTERVAL", 0.3)
    hub = hub_module.Hub()
    await hub.counts_changed([("1", "quiet", 5, ""), ("1", "presence-x", 5, "")])
    await hub.counts_changed([("1", "quiet", 6, "")])
    assert [json.loads(m["items"][0][1])["data"] for m in sent] == [
        '{"subscription_count": 5}',
        '{"subscription_count": 6}',
    ]  # small channels: every change; presence channels: never
    sent.clear()
    for count in (150, 151, 152):
        await hub.counts_changed([("1", "busy", count, "")])
    assert len(sent) == 1  # the first at once, the rest wait for the interval
    await asyncio.sleep(0.5)
    assert [json.loads(m["items"][0][1])["data"] for m in sent] == [
        '{"subscription_count": 150}',
        '{"subscription_count": 152}',
    ]


@pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_heartbeat_between_a_close_and_its_release_does_not_free_two_slots(
    kind: str, settings: Any, request: Any
) -> None:
    """The close of one socket must free one slot of the app's connection limit, even when
    the heartbeat writes this process's count between the close and the batched release."""
    from types import SimpleNamespace

    from forge_suite.realtime import hub as hub_module

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    app = {"id": "1", "key": "k", "secret": "s", "max_connections": 3}
    realtime: dict[str, Any] = {"APPS": [app]}
    if kind == "redis":
        realtime["REDIS_URL"] = request.getfixturevalue("redis_url")
        realtime["KEY_PREFIX"] = f"forge-rt-held-{uuid.uuid4().hex[:8]}"
    settings.FORGE = {"REALTIME": realtime}
    hub = hub_module.Hub()
    try:
        app_config = SimpleNamespace(id="1", max_connections=3)
        sockets = []
        for n in range(3):
            assert await hub.book.admit("1", 3)
            sockets.append(SimpleNamespace(socket_id=f"1.{n}", app=app_config))
            hub.add_connection(sockets[-1])
        assert not await hub.book.admit("1", 3)

        hub.remove_connection(sockets[0])
        await hub.heartbeat()  # runs before the consumer's release reaches the state
        await hub.book.release("1", 3)

        admitted = await asyncio.gather(hub.book.admit("1", 3), hub.book.admit("1", 3))
        assert sorted(admitted) == [False, True]
    finally:
        if kind == "redis":
            redis = hub.state.redis
            async for key in redis.scan_iter(match=f"{realtime['KEY_PREFIX']}*"):
                await redis.delete(key)
        await hub.stop()


async def test_held_leaves_are_cancelled_by_a_join_and_sent_after_the_delay(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forge_suite.realtime import webhooks

    app = {"id": "1", "key": "k", "secret": "s", "webhooks": ["http://127.0.0.1:9/hook"]}
    settings.FORGE = {
        "REALTIME": {"APPS": [app], "WEBHOOK_LEAVE_DELAY": 0.3, "WEBHOOK_BATCH_DELAY": 0.01}
    }
    sent: list[str] = []

    def send(app_id: str, url: str, body: str) -> None:
        sent.extend(e["name"] for e in json.loads(body)["events"])

    monkeypatch.setattr(webhooks, "_send", send)
    batcher = webhooks.WebhookBatcher(MemoryState(30))
    batcher.add("1", "channel_vacated", channel="news")
    await asyncio.sleep(0.1)
    batcher.add("1", "channel_occupied", channel="news")  # back within the delay
    batcher.add("1", "member_removed", channel="presence-a", user_id="u1")
    await asyncio.sleep(0.6)
    assert sent == ["member_removed"]  # the reconnect sent nothing; the real leave, late
    batcher.add("1", "channel_occupied", channel="news")  # nothing held: sent at once
    await asyncio.sleep(0.1)
    assert sent == ["member_removed", "channel_occupied"]
    batcher.add("1", "channel_vacated", channel="news")
    await asyncio.sleep(0.05)
    await batcher.close()  # a stopping process sends what it holds now
    assert sent == ["member_removed", "channel_occupied", "channel_vacated"]
