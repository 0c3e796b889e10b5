"""Reports of runs and batches for CI: JUnit XML (junit.py) and HTML (html.py)."""
