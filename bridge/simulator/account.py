"""How one account's cloud differs from the textbook: the odd accounts real users have.

Independent clients of the live OpenAPI report accounts without the device endpoint
(HTTP 404/405, E994, E996), a device type the account may not read, a plant detail that
fails, a token refresh the authorisation server fails (`result_data.code` -1), unit labels
that contradict the documented unit (13140 "kWh" delivering Wh) and absurd values. An
`Account` switches each of these on; `PROFILES` names a few for `simulator --profile`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bridge.simulator.envelope import ApiError

# How a missing endpoint answers: an HTTP status, or a business error in the envelope.
HTTP_REFUSALS = {"404": "Not Found", "405": "Method Not Allowed"}
ENVELOPE_REFUSALS = {
    "E900": "Unauthorized access",
    "E994": "system not found",
    "E996": "api not found",
}


@dataclass
class Account:
    # endpoint name (e.g. "getDeviceRealTimeData") -> "404", "405", "E900", "E994", "E996"
    missing: dict[str, str] = field(default_factory=dict)
    # device types getDeviceRealTimeData refuses with a parameter error (010)
    unreadable_types: frozenset[int] = frozenset()
    # getPowerStationDetail answers this result code instead of the details
    failing_detail: str | None = None
    # the next `refresh_failures` token refreshes answer this result_data.code and keep
    # the token (e.g. "-1", a server-side failure)
    refresh_failure: str | None = None
    refresh_failures: int = 1
    # point id -> the unit label point_dict gives instead of the documented one
    point_units: dict[int, str] = field(default_factory=dict)
    # point id -> the raw value every reply carries instead of the physics' one, where the
    # device has the point (None: null, as at night on some accounts)
    point_values: dict[int, str | None] = field(default_factory=dict)

    def refusal(self, endpoint: str, body: Mapping[str, Any]) -> httpx.Response | None:
        """The HTTP answer of an endpoint this account lacks (None: carry on).

        Raises ApiError for a refusal that comes in the envelope.
        """
        code = self.missing.get(endpoint)
        if code in HTTP_REFUSALS:
            return httpx.Response(int(code), text=HTTP_REFUSALS[code])
        if code is not None:
            raise ApiError(code, ENVELOPE_REFUSALS.get(code, "error"))
        if endpoint == "getPowerStationDetail" and self.failing_detail:
            raise ApiError(self.failing_detail, ENVELOPE_REFUSALS.get(self.failing_detail, "error"))
        if endpoint == "getDeviceRealTimeData" and _int(body.get("device_type")) in (
            self.unreadable_types
        ):
            raise ApiError("010", "er_parameter_value_invalid:device_type is not supported")
        return None

    def failed_refresh(self) -> str | None:
        """The code this refresh fails with (consuming one failure), or None."""
        if self.refresh_failure is None or self.refresh_failures <= 0:
            return None
        self.refresh_failures -= 1
        return self.refresh_failure

    def rewrite(self, data: Any) -> Any:
        """A real-time reply with this account's unit labels and values."""
        if not isinstance(data, dict) or not (self.point_units or self.point_values):
            return data
        for entry in data.get("point_dict") or []:
            unit = self.point_units.get(_int(entry.get("point_id")) or -1)
            if unit is not None:
                entry["point_unit"] = unit
        for item in data.get("device_point_list") or []:
            point = item.get("device_point", item)
            for point_id, value in self.point_values.items():
                if point.get(f"p{point_id}") is not None:  # a device that has the point
                    point[f"p{point_id}"] = value
        return data


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


PROFILES: dict[str, Account] = {
    "textbook": Account(),
    "no-device-endpoint": Account(missing={"getDeviceRealTimeData": "404"}),
    "odd": Account(
        unreadable_types=frozenset({43}),
        failing_detail="E994",
        refresh_failure="-1",
        point_units={13140: "kWh"},
    ),
}
