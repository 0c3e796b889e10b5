"""The video of a run: recorded through Appium's screen recording (recorder.py), uploaded
by the Appium host to the worker (receiver.py), kept on storage beside the run's
screenshots (files.py) and served with HTTP range requests (playback/http/ranges.py)."""
