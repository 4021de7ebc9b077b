"""Requests triaged and answered, with a recording publisher and an injected clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from bridge.daemon.outcome import OK, Outcome
from bridge.daemon.poll_cycle import PollRecord
from bridge.daemon.refresh import RefreshRules
from bridge.daemon.request_handler import RequestHandler, View
from bridge.isolarcloud.model import Plant
from bridge.mqtt.commands import Incoming
from bridge.mqtt.topics import Topics
from bridge.readings.model import Reading
from bridge.readings.poller import Inventory, PollResult
from tests.daemon.fakes import Clock, RecordingPublisher

TOPICS = Topics("isolarcloud", "homeassistant")
PLANTS = (Plant("1", "One", UTC), Plant("2", "Two", UTC))
INVENTORY = Inventory(PLANTS, {})
TS = datetime(2026, 6, 21, 10, 5, tzinfo=timezone(timedelta(hours=1)))


def refresh(body: object = "", topic: str = TOPICS.request_refresh) -> Incoming:
    payload = body if isinstance(body, str) else json.dumps(body)
    return Incoming(topic, payload.encode(), retain=False)


def record(started: float, finished: float, plants: tuple[str, ...] = ("1", "2")) -> PollRecord:
    readings = [Reading(ps_id, None, TS, TS, {}) for ps_id in plants]
    return PollRecord(started, finished, PollResult(readings, {}, plants, ()), OK)


def make(
    budget_wait: float = 0.0,
) -> tuple[RequestHandler, RecordingPublisher, RefreshRules, Clock]:
    clock = Clock()
    publisher = RecordingPublisher()
    rules = RefreshRules(60, clock, lambda: budget_wait)
    return RequestHandler(TOPICS, publisher, rules), publisher, rules, clock


def answers(publisher: RecordingPublisher) -> list[dict[str, object]]:
    return [payload for _, payload in publisher.responses]


def test_refreshes_that_may_run_wait_for_one_poll_and_are_answered_by_it() -> None:
    handler, publisher, _, clock = make()
    items = [(clock(), refresh({"transaction": "a"})), (clock(), refresh({"plant": "2"}))]
    pending = handler.triage(items, View(INVENTORY, None, reauth_required=False))
    assert [p.plants for p in pending] == [["1", "2"], ["2"]]
    assert publisher.responses == []
    handler.answer(pending, record(clock(), clock() + 1))
    assert [(a["status"], a["transaction"], a["data_ts"]) for a in answers(publisher)] == [
        ("ok", "a", TS.isoformat()),
        ("ok", None, TS.isoformat()),
    ]


def test_a_request_that_arrived_during_a_poll_is_answered_by_it_at_no_cost() -> None:
    handler, publisher, _, clock = make()
    last = record(clock() - 5, clock() + 1)
    pending = handler.triage([(clock(), refresh("PRESS"))], View(INVENTORY, last, False))
    assert pending == []
    assert answers(publisher)[0]["status"] == "ok"


def test_the_plant_window_throttles_with_the_exact_wait() -> None:
    handler, publisher, rules, clock = make()
    rules.fetched(["1"])
    clock.advance(22)
    pending = handler.triage([(clock(), refresh({"plant": "1"}))], View(INVENTORY, None, False))
    assert pending == []
    assert answers(publisher) == [
        {
            "status": "throttled",
            "transaction": None,
            "plants": ["1"],
            "data_ts": None,
            "error": None,
            "retry_after_s": 38,
        }
    ]


def test_the_budget_throttles_every_refresh() -> None:
    handler, publisher, _, clock = make(budget_wait=120.4)
    assert handler.triage([(clock(), refresh())], View(INVENTORY, None, False)) == []
    assert answers(publisher)[0]["retry_after_s"] == 121


def test_errors_are_answered_at_once() -> None:
    handler, publisher, _, clock = make()
    items = [
        (clock(), refresh({"plant": "99"})),
        (clock(), refresh("not json")),
        (clock(), refresh("", topic="isolarcloud/bridge/request/reboot")),
    ]
    assert handler.triage(items, View(INVENTORY, None, False)) == []
    errors = [a["error"] for a in answers(publisher)]
    assert errors[0] == "unknown plant '99'; known plants: 1, 2"
    assert "not JSON" in str(errors[1])
    assert "unknown request 'reboot'" in str(errors[2])
    assert [topic for topic, _ in publisher.responses][2] == "isolarcloud/bridge/response/reboot"


def test_a_dead_authorisation_answers_with_the_fix() -> None:
    handler, publisher, _, clock = make()
    assert handler.triage([(clock(), refresh())], View(INVENTORY, None, True)) == []
    assert "auth login" in str(answers(publisher)[0]["error"])


def test_a_failed_poll_answers_its_error() -> None:
    handler, publisher, _, clock = make()
    pending = handler.triage([(clock(), refresh({"transaction": 7}))], View(INVENTORY, None, False))
    failed = PollRecord(clock(), clock(), None, Outcome("error", "HTTP 500", "500", "500"))
    handler.answer(pending, failed)
    assert answers(publisher)[0] | {} == {
        "status": "error",
        "transaction": 7,
        "plants": ["1", "2"],
        "data_ts": None,
        "error": "HTTP 500",
        "retry_after_s": None,
    }


def test_republish_and_retained_requests() -> None:
    handler, publisher, _, clock = make()
    items = [
        (clock(), Incoming(TOPICS.request_republish, b"", retain=False)),
        (clock(), Incoming(TOPICS.request_refresh, b"", retain=True)),  # ignored
    ]
    assert handler.triage(items, View(INVENTORY, None, False)) == []
    assert publisher.republished == 1
    assert [(topic, a["status"]) for topic, a in publisher.responses] == [
        (TOPICS.response_republish, "ok")
    ]
