"""Audits: one module per source document, transcribing its claims as written."""
