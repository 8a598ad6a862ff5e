"""Circulation: loans, holds across the county, SIP2 self-check (bundled core)."""
