"""A local iSolarCloud OpenAPI simulator: OAuth, data endpoints, plant physics, faults.

Mount it in tests with `httpx.MockTransport(sim.handle)`, or serve it over real HTTP with
`serve(sim)`; both run the same handler."""

from bridge.simulator.account import PROFILES, Account
from bridge.simulator.api import (
    DEMO_APP_KEY,
    DEMO_APPLICATION_ID,
    DEMO_REDIRECT_URI,
    DEMO_SECRET_KEY,
    Simulator,
)
from bridge.simulator.clock import SimClock
from bridge.simulator.faults import FAULT_KINDS, Faults
from bridge.simulator.plants import SimDevice, SimPlant, default_fleet, fleet
from bridge.simulator.server import (
    SimulatorServer,
    config_snippet,
    demo_settings,
    run_simulator,
    serve,
    simulator_config,
)

__all__ = [
    "DEMO_APPLICATION_ID",
    "DEMO_APP_KEY",
    "DEMO_REDIRECT_URI",
    "DEMO_SECRET_KEY",
    "FAULT_KINDS",
    "PROFILES",
    "Account",
    "Faults",
    "SimClock",
    "SimDevice",
    "SimPlant",
    "Simulator",
    "SimulatorServer",
    "config_snippet",
    "default_fleet",
    "demo_settings",
    "fleet",
    "run_simulator",
    "serve",
    "simulator_config",
]
