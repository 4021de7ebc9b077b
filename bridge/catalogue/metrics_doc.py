"""`docs/metrics.md`, rendered from the catalogue so the two cannot drift apart.

Regenerate with `python -m bridge.catalogue.metrics_doc > docs/metrics.md`; a test compares them.
"""

from __future__ import annotations

from bridge.catalogue.conversions import OPERATING_STATUS_OPTIONS
from bridge.catalogue.device_types import BATTERY, COMM_MODULE, ESS, INVERTER, METER
from bridge.catalogue.metric import PLANT_LEVEL, Metric, Needs
from bridge.catalogue.metrics import LEVELS, metrics_for

_LEVEL_TITLES = {
    PLANT_LEVEL: "Plant (`<base>/<ps_id>/...`, device type 11)",
    INVERTER: "Inverter (device type 1)",
    ESS: "Energy storage system / hybrid inverter (device type 14)",
    BATTERY: "Battery (device type 43)",
    METER: "Meter (device type 7)",
    COMM_MODULE: "Communication module (device type 22)",
}

_APPEARS: dict[Needs, str] = {
    "level": "always",
    "battery": "battery",
    "meter": "meter",
    "value": "value",
}

_HEADER = """\
# Metrics

Generated from `bridge/catalogue/metrics.py` by
`python -m bridge.catalogue.metrics_doc > docs/metrics.md`; a test fails when this file and
the catalogue differ. Point ids, names and units are Sungrow's measuring-point tables
(developer portal, "Common ... Measuring Points"). Where Sungrow is silent (most signs),
the *sign* column names the public source the bridge follows:

- *sungrow-hass*: the Home Assistant integration KRoperUK/sungrow-hass, its sensor list
  (grid power + import, battery power + charging).
- *hass-isolarcloud*: bugjam/hass-isolarcloud, its README (plant power is the net
  inverter power, battery included).
- *gruijter*: the Homey app gruijter/com.sungrowpower, `lib/sungrowPointMap.js`
  (battery power = -V*I, so the cloud's current is + while discharging).
- *Afrouper*: the client Afrouper/sungrow-api-client, `docs/Output.MD` (a live snapshot:
  ESS battery current 13139 +3.2 A and battery current 58602 +2.9 A while the battery
  discharges 854 W).

A user who finds a sign the other way round on their plant can flip it in their consumer
(a template in Home Assistant, a transformation in openHAB) and is asked to report it.

Each metric is published as a key of the JSON state topic and, when `output.values` is
on, as `<base>/<ps_id>[/<device>]/<metric>`. Metric names are stable: they are topic
levels and part of Home Assistant unique ids.

## Conventions

- **Units** are fixed: W, kWh, %, V, A, Hz, °C, var, VA, dBm. Sungrow documents that the
  real-time endpoints send the smallest unit; Wh become kWh (/1000), fractions (SOC,
  SOH) become % (x100), cell mV become V. Each point is read in the unit Sungrow
  documents for it, whatever the reply's `point_dict` label says: those labels are wrong
  at times (13140, battery capacity, is labelled kWh and sends 12800 for 12.8 kWh). If a
  metric reads 1000x off on your plant, publish the point raw instead: leave the metric
  out with `[points] exclude` and add its point with `[points] extra` (it then carries
  the unit `point_dict` gives), and please report it.
- **Plausible or null**: a value outside what any such device reports (a state of charge
  above 100 %, 6553.5 °C, a power above 1 GW) is published as `null` and reported with an
  `implausible_value` event naming the point and the raw value.
- **Unknown is `null`**: a point the cloud leaves out, sends as `null`, `""` or `--`, or
  sends as text where a number belongs, is published as `null`, never as 0.
- **Signs**: grid power is positive when importing from the grid, battery power and
  current are positive when charging. The column *sign* gives each signed metric's
  convention and the source it rests on.
- **Energy counters** (`daily`, `lifetime`) are `total_increasing`. A lifetime counter is
  never published below its last value (a lower value holds the last one); a daily
  counter may fall only across the plant's local midnight. The guard's memory survives
  restarts (`counters.toml` in the state directory).
- **Running state** (points 29 and 13146) is an `enum`; its options are the operating
  states Sungrow documents for these points, as snake_case, plus `unknown` for any other
  code.
- **Extra points** added with `[points] extra` publish as `p<id>`, the raw value in the
  unit the cloud's `point_dict` gives, with the Home Assistant classes that unit implies:
  W/kW power and var, VA, V, A, Hz, °C, W/m², dBm with `measurement`; Wh/kWh/MWh energy
  with `total_increasing` (and the energy guard, daily or lifetime by the point's name:
  "daily", "today" or "day" restart at midnight, "total", "cumulative", "accumulated" or
  "lifetime" never fall); h a `duration` with `total_increasing`; % with `measurement`
  and no device class. A unit the bridge does not know gets no classes: the value is
  published and graphed, but it is no statistic. An extra point appears only where the
  cloud delivers a value for it (*appears* `value`).
- **What appears** (column *appears*): an entity, its JSON key and its per-value topic
  exist only for a plant or device that can have the metric. `always`: every plant or
  device of that type. `battery`: the plant lists a battery (device type 43). `meter`:
  the plant lists a meter (device type 7). `value`: once the cloud delivers a value for
  it (a second MPPT, phases B and C, weather sensors, extra points). A metric that
  appeared by its value stays through nights of `null` and restarts (the state directory
  keeps `entities.json`), and goes after 30 days without a value; all of a device's go
  when the device leaves the plant. Details: `docs/topics.md`, "Which metrics a plant has".
- *enabled*: `no` means Home Assistant creates the entity disabled; enable it there.

"""

_COLUMNS = (
    "metric",
    "point",
    "label",
    "source unit",
    "unit",
    "device_class",
    "state_class",
    "precision",
    "counter",
    "enabled",
    "appears",
    "sign",
)


def _cell(value: object) -> str:
    if value is None or value == "":
        return ""
    return str(value).replace("|", "\\|")


def _row(m: Metric) -> str:
    enabled = "yes" if m.enabled_by_default else "no"
    if m.entity_category:
        enabled += f" ({m.entity_category})"
    cells = (
        f"`{m.key}`",
        m.point_id,
        m.label,
        m.source_unit,
        m.unit,
        m.device_class,
        m.state_class,
        m.precision,
        "" if m.counter == "none" else m.counter,
        enabled,
        _APPEARS[m.needs],
        m.sign_note,
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_metrics_markdown() -> str:
    """The whole of docs/metrics.md."""
    parts = [_HEADER]
    for level in LEVELS:
        parts.append(f"## {_LEVEL_TITLES[level]}\n\n")
        parts.append("| " + " | ".join(_COLUMNS) + " |\n")
        parts.append("|" + "---|" * len(_COLUMNS) + "\n")
        parts.extend(_row(m) + "\n" for m in metrics_for(level))
        parts.append("\n")
    options = ", ".join(f"`{o}`" for o in OPERATING_STATUS_OPTIONS)
    parts.append(f"## Running state options\n\n{options}\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render_metrics_markdown(), end="")
