"""The use-case layer. Every facade, job, importer and the CLI call these functions.

Services take a SQLAlchemy session first, never commit (the caller owns the transaction),
raise the typed errors of :mod:`bridge.errors`, log what matters to the activity log and
queue past-tense events that are dispatched after commit.
"""
