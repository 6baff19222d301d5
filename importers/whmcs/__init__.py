"""WHMCS 8.x importer: reader (SQL), mapping (pure), importer (entities)."""
