"""Torch implementations of the extras components (imported lazily through each spec's ``impl``)."""
