"""Torch implementation of the extras EMA (imported lazily through its spec's ``impl``)."""
