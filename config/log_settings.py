"""The logging settings (Django's LOGGING), read by config/settings.py: one JSON line
per record on stderr, in every process (config/logs.py formats them)."""


def logging_settings(level: str) -> dict:
    """Unhandled errors of requests (django.request), of workers (django-q) and our
    own records from `level` up."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "config.logs.JsonLineFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "playback": {"handlers": ["stderr"], "level": level, "propagate": False},
            "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
            "django.server": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
            "django-q": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }
