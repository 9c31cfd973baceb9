"""Experiment tracking: entities, the client and the fluent API."""
