"""Sample plants, devices, metrics and readings for the MQTT tests (no catalogue needed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bridge.catalogue.metric import PLANT_LEVEL, Metric
from bridge.config.model import Config, HomeAssistantConfig, MqttConfig, OutputConfig
from bridge.isolarcloud.model import Device, Plant
from bridge.mqtt.discovery import Discovery, build_discovery
from bridge.mqtt.topics import Topics
from bridge.readings.model import Reading
from tests.support.broker import MosquittoBroker

VERSION = "9.9.9"
TZ = ZoneInfo("Europe/Berlin")

PV_POWER = Metric("pv_power", "83067", PLANT_LEVEL, "PV power", "W", "W", "power", "measurement", 0)
ENERGY_TODAY = Metric(
    "energy_today",
    "83022",
    PLANT_LEVEL,
    "Energy today",
    "Wh",
    "kWh",
    "energy",
    "total_increasing",
    1,
    counter="daily",
    convert=lambda wh: wh / 1000,
)
BATTERY_SOC = Metric(
    "battery_soc", "83252", PLANT_LEVEL, "Battery SOC", "", "%", "battery", "measurement", 1
)
RUN_STATE = Metric(
    "run_state",
    "24",
    1,
    "Run state",
    "",
    None,
    "enum",
    None,
    options=("Running", "Standby", "Fault"),
    entity_category="diagnostic",
)
INVERTER_TEMP = Metric(
    "internal_temperature",
    "1",
    1,
    "Internal temperature",
    "℃",
    "°C",
    "temperature",
    "measurement",
    1,
    enabled_by_default=False,
)
PLANT_METRICS = (PV_POWER, ENERGY_TODAY, BATTERY_SOC)
DEVICE_METRICS = (RUN_STATE, INVERTER_TEMP)
PLANT_BY_KEY = {m.key: m for m in PLANT_METRICS}
DEVICE_BY_KEY = {m.key: m for m in DEVICE_METRICS}

HOME = Plant("1234567", "Home", TZ)
BARN = Plant("7654321", "Barn", TZ)
INVERTER = Device("1234567_1_1_1", "1234567", 1, "Inverter", serial="A2212345678", model="SH10RT")


def config(
    broker: MosquittoBroker | None = None,
    *,
    mode: Literal["entity", "device"] = "entity",
    json: bool = True,
    values: bool = True,
    username: str = "",
    password: str = "",
    protocol: Literal["3.1.1", "5"] = "3.1.1",
    client_id: str = "isolarcloud2mqtt",
) -> Config:
    return Config(
        mqtt=MqttConfig(
            host=broker.host if broker else "127.0.0.1",
            port=broker.port if broker else 1883,
            username=username,
            password=password,
            protocol=protocol,
            client_id=client_id,
        ),
        homeassistant=HomeAssistantConfig(mode=mode),
        output=OutputConfig(json=json, values=values),
    )


def topics(cfg: Config) -> Topics:
    return Topics(cfg.mqtt.base_topic, cfg.homeassistant.prefix)


def discovery(
    cfg: Config,
    plants: Sequence[Plant] = (HOME,),
    plant_metrics: Sequence[Metric] = PLANT_METRICS,
    with_inverter: bool = True,
    support_url: str | None = None,
) -> Discovery:
    devices = {HOME.ps_id: [INVERTER]} if with_inverter else {}

    def metrics(plant: Plant, device: Device | None) -> Sequence[Metric]:
        return plant_metrics if device is None else DEVICE_METRICS

    return build_discovery(
        plants, devices, metrics, cfg, topics(cfg), version=VERSION, support_url=support_url
    )


FETCHED = datetime(2026, 5, 1, 10, 36, 12, 345000, tzinfo=UTC)
SAMPLED = datetime(2026, 5, 1, 12, 35, tzinfo=TZ)


def plant_reading(plant: Plant = HOME, pv: float | None = 5234.4) -> Reading:
    return Reading(
        plant.ps_id,
        None,
        SAMPLED,
        FETCHED,
        {"pv_power": pv, "energy_today": 18.4449, "battery_soc": None},
    )


def inverter_reading() -> Reading:
    return Reading(
        HOME.ps_id, INVERTER, None, FETCHED, {"run_state": "Running", "internal_temperature": 41.26}
    )
