"""iSolarCloud regions: API gateway host, web (authorisation) host and cloudId of each."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.config.model import IsolarcloudConfig


@dataclass(frozen=True)
class Region:
    code: str
    gateway: str
    web: str
    cloud_id: int


REGIONS: dict[str, Region] = {
    region.code: region
    for region in (
        # China's page: pysolarcloud uses web3.isolarcloud.com, bugjam/hass-isolarcloud
        # web3.isolarcloud.com.cn; neither is shown live. `web_url` switches it.
        Region("cn", "https://gateway.isolarcloud.com", "https://web3.isolarcloud.com", 1),
        Region("intl", "https://gateway.isolarcloud.com.hk", "https://web3.isolarcloud.com.hk", 2),
        Region("eu", "https://gateway.isolarcloud.eu", "https://web3.isolarcloud.eu", 3),
        Region("au", "https://augateway.isolarcloud.com", "https://auweb3.isolarcloud.com", 7),
        # India is not in Sungrow's docs; its cloudId comes from live tests of peers.
        Region("in", "https://gateway.isolarcloud.in", "https://web3.isolarcloud.in", 9),
    )
}


def region_for(cfg: IsolarcloudConfig) -> Region:
    """The `Region` named by the config (the config loader has already validated it)."""
    try:
        return REGIONS[cfg.region]
    except KeyError:
        raise ValueError(
            f"[isolarcloud] region = {cfg.region!r}: expected one of {', '.join(REGIONS)}"
        ) from None


def endpoints_for(cfg: IsolarcloudConfig) -> tuple[str, str]:
    """(gateway base URL, web base URL), without a trailing slash.

    A `gateway` override (simulator, proxy) serves both: the simulator hosts the API and
    the authorisation page on the same address. `web_url` overrides the page alone.
    """
    region = region_for(cfg)
    gateway = cfg.gateway.rstrip("/") if cfg.gateway else region.gateway
    web = cfg.web_url or cfg.gateway or region.web
    return gateway, web.rstrip("/")
