"""The metric catalogue: point ids, canonical units, conversions, Home Assistant classes."""
