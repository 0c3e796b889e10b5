from django.apps import AppConfig


class PlaybackConfig(AppConfig):
    name = "playback"
    verbose_name = "Playback"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from playback.devices import sessions

        sessions.connect_signals()
        post_spawn.connect(sweep_at_worker_start, dispatch_uid="playback-sweep-at-start")


def sweep_at_worker_start(sender: object, proc_name: str, **kwargs: object) -> None:
    """A worker (re)starts: the cluster just started, or a worker died. Sweep now
    instead of waiting for the schedule, so a killed worker's run ends at once."""
    import logging

    from playback.runs import sweeper

    try:
        report = sweeper.sweep_runs()
    except Exception:  # never keep a worker from starting
        logging.getLogger("playback").exception("Sweep at worker start failed")
        return
    if any(report.values()):
        logging.getLogger("playback").warning("Sweep at worker start: %s", report)
