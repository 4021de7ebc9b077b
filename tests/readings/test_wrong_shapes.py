"""Cloud replies of the wrong shape: a clear IsolarcloudError or a reading, never a crash.

The simulator's `body` fault serves the generated reply verbatim in place of one call.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.config.model import Config
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import IsolarcloudError
from bridge.isolarcloud.onboarding import login
from bridge.isolarcloud.tokens import TokenStore
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Poller
from bridge.simulator import (
    SimClock,
    Simulator,
    demo_settings,
)
from tests.support.rig import SIM_START

PATHS = [
    "queryPowerStationList",
    "getPowerStationDetail",
    "getDeviceListByPsId",
    "getPowerStationRealTimeData",
    "getDeviceRealTimeData",
]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "pageList",
                    "row_count",
                    "data_list",
                    "device_point_list",
                    "device_point",
                    "point_dict",
                    "ps_id",
                    "ps_key",
                    "device_type",
                    "device_time",
                    "p83022",
                    "ps_current_time_zone",
                    "code",
                    "fail_ps_id_list",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)
envelopes = st.fixed_dictionaries(
    {"result_code": st.sampled_from(["1", 1, "E00003x", None, "009"]), "result_data": json_values},
    optional={"result_msg": st.text(max_size=10), "req_serial_num": st.text(max_size=4)},
)
bodies = (
    envelopes.map(lambda e: json.dumps(e).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=40)
)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Poller]]:
    sim = Simulator(clock=SimClock(start=SIM_START), hourly_quota=10**9)
    iso = demo_settings("http://sim")
    transport = httpx.MockTransport(sim.handle)
    store = TokenStore(tmp_path_factory.mktemp("state") / "tokens.toml")
    login(
        iso,
        store,
        redirect_url=sim.authorize(iso.redirect_uri),
        transport=transport,
        stdout=io.StringIO(),
    )
    sleeps: list[float] = []
    with GatewayClient(iso, store, transport=transport, sleep=sleeps.append) as client:
        yield sim, Poller(client, Config(isolarcloud=iso), EnergyGuard(None))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), body=bodies)
def test_a_wrong_reply_is_an_error_or_a_reading(
    rig: tuple[Simulator, Poller], path: str, body: bytes
) -> None:
    sim, poller = rig
    sim.faults.clear()
    sim.faults.add("body", path=path, body=body)
    try:
        poller.poll(poller.load_inventory())
    except IsolarcloudError as exc:
        assert str(exc)  # a message a person can read
    sim.faults.clear()
    # the next poll is unharmed
    result = poller.poll(poller.load_inventory())
    assert result.readings
