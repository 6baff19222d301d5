"""WHMCS dialect: the API door and the adapters that run WHMCS-style modules and hooks."""
