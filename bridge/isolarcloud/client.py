"""The gateway client: the read endpoints the bridge needs, as Plant/Device/RawSnapshot.

It pages list endpoints, chunks requests to the cloud's limits (100 points, 20 plant ids),
and renews the access token once when the cloud refuses it (E00003).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from types import TracebackType
from typing import Any, Unpack

import structlog

from bridge.config.model import IsolarcloudConfig
from bridge.isolarcloud.errors import (
    AuthError,
    IsolarcloudError,
    ParameterError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
    UnavailableError,
)
from bridge.isolarcloud.limits import MAX_DETAIL_IDS, MAX_POINTS, MAX_PS_KEYS, PAGE_SIZE
from bridge.isolarcloud.model import Device, Plant, PointInfo, PointValue, RawSnapshot
from bridge.isolarcloud.oauth import OAuth
from bridge.isolarcloud.parsing import (
    chunks,
    id_str,
    parse_device_time,
    parse_float,
    parse_tz,
    point_infos,
    point_values,
)
from bridge.isolarcloud.session import ApiSession, SessionOptions
from bridge.isolarcloud.tokens import TokenStore
from bridge.platform.secrets import SecretRegistry

log = structlog.get_logger(__name__)

PLANT_LIST = "/openapi/platform/queryPowerStationList"
PLANT_DETAIL = "/openapi/platform/getPowerStationDetail"
DEVICE_LIST = "/openapi/platform/getDeviceListByPsId"
PLANT_REALTIME = "/openapi/platform/getPowerStationRealTimeData"
DEVICE_REALTIME = "/openapi/platform/getDeviceRealTimeData"
MAX_PAGES = 1000  # a guard against a cloud that never returns a short page


@dataclass
class DeviceValues:
    """What a device read returned, and the device types it could not read (and why)."""

    snapshots: dict[str, RawSnapshot] = field(default_factory=dict)
    unreadable: dict[int, IsolarcloudError] = field(default_factory=dict)


@dataclass
class _Collected:
    device: Device | None = None
    values: dict[str, PointValue] = field(default_factory=dict)
    info: dict[str, PointInfo] = field(default_factory=dict)
    sampled_at: datetime | None = None

    def snapshot(self, ps_id: str = "") -> RawSnapshot:
        """The plant `ps_id`'s snapshot, or (without one) the device's."""
        owner = self.device.ps_id if self.device else ps_id
        return RawSnapshot(owner, self.device, self.sampled_at, self.values, self.info)


class GatewayClient:
    """A synchronous client of the iSolarCloud OpenAPI (V2, OAuth). Close it when done."""

    def __init__(
        self,
        cfg: IsolarcloudConfig,
        store: TokenStore,
        *,
        secrets: SecretRegistry | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        # without the CLI's registry, one of its own: error texts are masked all the same
        self.secrets = secrets or SecretRegistry(cfg.secret_key)
        self._session = ApiSession(cfg, secrets=self.secrets, **options)
        self.oauth = OAuth(cfg, store, self._session, self.secrets, self._session.clock)

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def calls_last_hour(self) -> int:
        """HTTP calls made in the last 3600 s (every attempt, token calls too)."""
        return self._session.counter.last_hour()

    def seconds_until_room(self, calls: int) -> float:
        """How long until `calls` more fit in the hourly budget (0 = now)."""
        return self._session.seconds_until_room(calls)

    def list_plants(self, *, page_size: int = PAGE_SIZE, details: bool = True) -> list[Plant]:
        """Every authorised plant, whatever its status; with `details`, their installed
        power (a second call, which `plant_details` makes on its own)."""
        items = self._paged(PLANT_LIST, {"valid_flag": "1,2,3"}, page_size)
        rows = {id_str(item.get("ps_id")): item for item in items}  # pages may overlap
        rows.pop("", None)
        plants = [_plant(row) for row in rows.values()]
        return self.plant_details(plants) if details else plants

    def plants_with_details(self) -> tuple[list[Plant], IsolarcloudError | None]:
        """Every authorised plant, with its details when the account can read them; else
        the plants without them and the error (a rate limit or dead authorisation raises).

        Details only add the installed power: peers treat the call as optional, and some
        accounts fail it."""
        plants = self.list_plants(details=False)
        try:
            return self.plant_details(plants), None
        except (RateLimitedError, AuthError):
            raise
        except IsolarcloudError as exc:
            return plants, exc

    def plant_details(self, plants: Sequence[Plant]) -> list[Plant]:
        """The plants with what `getPowerStationDetail` adds (installed power, time zone)."""
        details: dict[str, Mapping[str, Any]] = {}
        for batch in chunks([p.ps_id for p in plants], MAX_DETAIL_IDS):
            data = self._call(PLANT_DETAIL, {"ps_ids": ",".join(batch)})
            inner = str(data.get("code", "1"))
            if inner == "5":
                raise ParameterError(f"{PLANT_DETAIL}: too many ps_ids (result_data.code 5)", "5")
            if inner == "0":
                raise TransientError(f"{PLANT_DETAIL} failed (result_data.code 0)", "0")
            for detail in _mappings(data.get("data_list")):
                details[id_str(detail.get("ps_id"))] = detail
        return [_with_detail(plant, details.get(plant.ps_id, {})) for plant in plants]

    def list_devices(self, ps_id: str, *, page_size: int = PAGE_SIZE) -> list[Device]:
        """The devices of one plant."""
        devices = []
        for item in self._paged(DEVICE_LIST, {"ps_id": ps_id}, page_size):
            device = _device(item, ps_id)
            if device is not None:
                devices.append(device)
        return devices

    def plant_realtime(
        self, plants: Sequence[Plant], point_ids: Sequence[str]
    ) -> dict[str, RawSnapshot]:
        """Plant-level values keyed by ps_id: all plants in one call per 100 points."""
        wanted = [plant.ps_id for plant in plants]
        points = _point_ids(point_ids)
        collected: dict[str, _Collected] = {}
        if not wanted:
            return {}
        for batch in chunks(points, MAX_POINTS):
            body = {"ps_id_list": wanted, "point_id_list": batch, "is_get_point_dict": "1"}
            data = self._call(PLANT_REALTIME, body)
            info = point_infos(data.get("point_dict"))
            for item in _mappings(data.get("device_point_list")):
                ps_id = id_str(item.get("ps_id"))
                if ps_id in wanted:
                    into = collected.setdefault(ps_id, _Collected())
                    into.values.update(point_values(item))
                    into.info.update(info)
        return {ps_id: got.snapshot(ps_id) for ps_id, got in collected.items()}

    def device_realtime(
        self,
        devices: Sequence[Device],
        point_ids_by_type: Mapping[int, Sequence[str]],
        tz_by_plant: Mapping[str, tzinfo],
    ) -> DeviceValues:
        """Device values keyed by ps_key: one call per device type per 100 points.

        Best effort per type: a type the account cannot read (a parameter error for that
        type) is left out, and when the endpoint itself is missing (404/405, E900, E994,
        E996) every type is; `unreadable` says which and why.
        """
        by_type: dict[int, dict[str, Device]] = {}
        for device in devices:
            by_type.setdefault(device.device_type, {})[device.ps_key] = device
        read = DeviceValues()
        for device_type, by_key in by_type.items():
            endpoint_gone = next(iter(read.unreadable.values()), None)
            if isinstance(endpoint_gone, UnavailableError):
                read.unreadable[device_type] = endpoint_gone  # no call: it cannot work
                continue
            points = _point_ids(point_ids_by_type.get(device_type, ()))
            collected: dict[str, _Collected] = {}
            try:
                for keys in chunks(by_key, MAX_PS_KEYS):
                    for batch in chunks(points, MAX_POINTS):
                        body = {
                            "device_type": device_type,
                            "ps_key_list": keys,
                            "point_id_list": batch,
                            "is_get_point_dict": "1",
                        }
                        data = self._call(DEVICE_REALTIME, body)
                        _collect_devices(data, by_key, tz_by_plant, collected)
            except (UnavailableError, ParameterError) as exc:
                read.unreadable[device_type] = exc
                continue
            read.snapshots.update(
                (
                    ps_key,
                    RawSnapshot(got.device.ps_id, got.device, got.sampled_at, got.values, got.info),
                )
                for ps_key, got in collected.items()
                if got.device is not None
            )
        return read

    def server_time(self) -> datetime:
        """The gateway's clock (GET /timestamp), as an aware UTC datetime."""
        text = self._session.get_text("/timestamp")
        return _server_time(text)

    def _call(self, path: str, body: dict[str, Any]) -> Mapping[str, Any]:
        """`result_data` of a data call; an E00003 renews the token once and retries once."""
        token = self.oauth.access_token()
        try:
            envelope = self._session.post(path, body, bearer=token)
        except TokenExpiredError:
            log.info("auth.token_refused", path=path)
            token = self.oauth.force_refresh(token)
            envelope = self._session.post(path, body, bearer=token)
        data = envelope.get("result_data")
        return data if isinstance(data, Mapping) else {}

    def _paged(self, path: str, body: dict[str, Any], page_size: int) -> list[Mapping[str, Any]]:
        """Every item of a paged list: pages until a short one or the announced row count."""
        items: list[Mapping[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._call(path, {**body, "page": page, "size": page_size})
            rows = _mappings(data.get("pageList"))
            items.extend(rows)
            total = parse_float(data.get("row_count", data.get("rowCount")))
            if len(rows) < page_size or (total is not None and len(items) >= total):
                break
        return items


def _mappings(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _point_ids(point_ids: Iterable[str]) -> list[str]:
    """Point ids without the `p` prefix, de-duplicated, in order."""
    return list(dict.fromkeys(str(point).removeprefix("p") for point in point_ids))


def _int_or_none(value: object) -> int | None:
    number = parse_float(value)
    return int(number) if number is not None else None


def _plant(row: Mapping[str, Any]) -> Plant:
    return Plant(
        ps_id=id_str(row.get("ps_id")),
        name=str(row.get("ps_name") or row.get("ps_id")),
        tz=parse_tz(row.get("ps_current_time_zone")),
        ps_type=_int_or_none(row.get("ps_type")),
        online=_int_or_none(row.get("online_status")) != 0,
    )


def _with_detail(plant: Plant, detail: Mapping[str, Any]) -> Plant:
    zone = detail.get("ps_current_time_zone")
    return replace(
        plant,
        name=plant.name if plant.name != plant.ps_id else str(detail.get("ps_name") or plant.name),
        # the list's zone first; UTC is also what an absent one parses to
        tz=parse_tz(zone) if plant.tz == UTC and zone else plant.tz,
        install_power_w=parse_float(detail.get("install_power")),
    )


def _collect_devices(
    data: Mapping[str, Any],
    by_key: Mapping[str, Device],
    tz_by_plant: Mapping[str, tzinfo],
    into: dict[str, _Collected],
) -> None:
    """Merge one device reply's values (each item wrapped in `device_point`) into `into`."""
    info = point_infos(data.get("point_dict"))
    for entry in _mappings(data.get("device_point_list")):
        item = entry.get("device_point", entry)
        if not isinstance(item, Mapping):
            continue
        found = by_key.get(id_str(item.get("ps_key")))
        if found is None:
            continue
        got = into.setdefault(found.ps_key, _Collected(found))
        got.values.update(point_values(item))
        got.info.update(info)
        tz = tz_by_plant.get(found.ps_id, UTC)
        got.sampled_at = parse_device_time(item.get("device_time"), tz) or got.sampled_at


def _device(item: Mapping[str, Any], ps_id: str) -> Device | None:
    ps_key = id_str(item.get("ps_key"))
    device_type = _int_or_none(item.get("device_type"))
    if not ps_key or device_type is None:
        return None
    return Device(
        ps_key=ps_key,
        ps_id=id_str(item.get("ps_id")) or ps_id,
        device_type=device_type,
        name=str(item.get("device_name") or item.get("type_name") or ps_key),
        serial=id_str(item.get("device_sn")) or None,
        model=id_str(item.get("device_model_code")) or None,
    )


def _server_time(text: str) -> datetime:
    """Epoch seconds or milliseconds, bare or inside an envelope's `result_data`."""
    try:
        parsed: object = json.loads(text)
    except ValueError:
        parsed = text
    if isinstance(parsed, Mapping):
        parsed = parsed.get("result_data", parsed.get("timestamp"))
    if isinstance(parsed, Mapping):
        parsed = parsed.get("timestamp")
    number = parse_float(parsed)
    if number is None:
        raise TransientError("the gateway's /timestamp reply holds no time")
    seconds = number / 1000 if number > 1e11 else number
    return datetime.fromtimestamp(seconds, UTC)
