"""Batches: many flows on many devices started as one unit (SPEC "Wave 2", issue 14)."""
