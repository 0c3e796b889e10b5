"""What the history says: which step is flaky, what broke and since when.

`identity` (a step's key, a failure's signature), `windows` (the rollups kept
current as runs end: the last runs of each flow, per scope, and the failure
groups), `rates` (the SPEC's rates over a window, read from the rollups).
"""
