"""Indicator functions (function form of `berechnung`) used by the catalogue."""
