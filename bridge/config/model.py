"""Configuration: the TOML schema as typed, immutable objects.

Loading and validation (`load_config`) fill these from a file; every other module takes
these objects and never reads TOML itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REGIONS = ("cn", "intl", "eu", "au", "in")
DEFAULT_CONFIG_PATH = Path("/etc/isolarcloud2mqtt/config.toml")
DEFAULT_STATE_DIR = Path("/var/lib/isolarcloud2mqtt")


class ConfigError(Exception):
    """A configuration mistake; its message is one line naming the file, key and fix."""


@dataclass(frozen=True, slots=True)
class IsolarcloudConfig:
    region: str = "eu"
    app_key: str = ""
    secret_key: str = field(default="", repr=False)
    application_id: int = 0
    redirect_uri: str = "http://localhost:8765/callback"
    language: str = "_en_US"
    gateway: str | None = None  # base-URL override (simulator, proxy, tests)
    web_url: str | None = None  # the authorisation page's base URL, instead of the region's


@dataclass(frozen=True, slots=True)
class TlsConfig:
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False


@dataclass(frozen=True, slots=True)
class MqttConfig:
    host: str = "localhost"
    port: int = 1883
    username: str = ""
    password: str = field(default="", repr=False)
    client_id: str = "isolarcloud2mqtt"
    base_topic: str = "isolarcloud"
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    qos: int = 1
    keepalive: int = 60
    tls: TlsConfig | None = None


@dataclass(frozen=True, slots=True)
class HomeAssistantConfig:
    discovery: bool = True
    prefix: str = "homeassistant"
    mode: Literal["entity", "device"] = "entity"
    expire_after: int = 0  # seconds; 0 means 3 x poll.interval


@dataclass(frozen=True, slots=True)
class PollConfig:
    interval: int = 300
    device_list_interval: int = 3600
    min_refresh_interval: int = 60
    hourly_call_budget: int = 1800


@dataclass(frozen=True, slots=True)
class PlantsConfig:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PointsConfig:
    # key: "plant" or a device type as a string ("14"); value: extra point ids
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()  # metric names not to publish


@dataclass(frozen=True, slots=True)
class OutputConfig:
    json: bool = True
    values: bool = True


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "console", "json"] = "auto"


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    isolarcloud: IsolarcloudConfig = field(default_factory=IsolarcloudConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    homeassistant: HomeAssistantConfig = field(default_factory=HomeAssistantConfig)
    poll: PollConfig = field(default_factory=PollConfig)
    plants: PlantsConfig = field(default_factory=PlantsConfig)
    points: PointsConfig = field(default_factory=PointsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    @property
    def expire_after(self) -> int:
        """Home Assistant `expire_after` in seconds, with the 0 = 3 x interval rule applied."""
        return self.homeassistant.expire_after or 3 * self.poll.interval
