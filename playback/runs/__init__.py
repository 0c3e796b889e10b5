"""A run from queued to ended: its transitions, its steps recorded, what is said and
indexed when it ends, and the sweeper that ends what nothing else will."""
