"""isolarcloud2mqtt: Sungrow iSolarCloud (official OpenAPI) to MQTT bridge."""

__version__ = "0.1.0"
