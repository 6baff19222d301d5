"""Importers: copy a WHMCS, Blesta or BoxBilling/FOSSBilling database into hostbridge keeping
ids.  :mod:`importers.base` explains how a source plugs in; :mod:`importers.cli` is
``bridge import``."""
