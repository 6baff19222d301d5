"""Blesta dialect: the API door and the adapters that run Blesta-style modules and events."""
