"""Pieces of the ``DDPM`` LightningModule, one concern per file: batches, optimizer, sampling."""
