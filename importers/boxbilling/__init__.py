"""BoxBilling 4.x and FOSSBilling 0.5-0.8 importer (one schema lineage, upgraded in place)."""
