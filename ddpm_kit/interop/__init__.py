"""Interoperability with other tools' formats (torch-level; no third-party import at package import)."""
