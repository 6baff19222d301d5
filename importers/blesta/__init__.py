"""Blesta 5.x importer (core tables plus the support_manager plugin)."""
