from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    """The simulated device and the demo: `make run`'s stack (run_stack) and its data
    (seed_demo). Nothing in flows/ or playback/ knows these files."""

    name = "simulator"
    verbose_name = "Simulated device"
