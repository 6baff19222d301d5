"""Server-side web endpoints of the core (gateway callbacks now; admin pages later)."""
