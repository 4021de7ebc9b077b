"""Benchmarks of the bridge: API calls, MQTT publish rate, refresh latency, memory and CPU.

Run them all with `python -m bench` (add `--quick` for a short run, `--json PATH` to keep
the summary). They print figures; nothing here is a test and nothing asserts a timing.
"""
