"""The daemon: lifecycle, schedule, poll cycle, refresh requests, health."""
