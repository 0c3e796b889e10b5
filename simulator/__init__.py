"""The simulated device: a real Appium 3 server with the fake driver and our plugin."""
