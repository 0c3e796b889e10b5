"""Devices: one run per device (their queue), and whether their Appium answers."""
