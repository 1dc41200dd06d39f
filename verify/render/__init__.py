"""Renderers: turn results into text. They never check anything."""
