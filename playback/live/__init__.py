"""Live events: what a web process pushes to its subscribers as runs play.

    worker: lifecycle commits a step / a transition ──▶ publish.changed(run, batch)
        scale-out: PUBLISH on Redis ──▶ every web process's one Redis subscriber
        embedded:  nothing sent ──▶ every web process's one watcher (a query per tick
                   over the runs and batches someone follows)
    web process: hub.Topic("run", 41) bumps its version ──▶ streams read the change
        once per topic (not per subscriber) and each subscriber writes its own events

`publish` is what the worker side imports (no async, no Django request); `hub` and
`streams` live in the web process; `links` signs the events URLs a browser uses.
"""
