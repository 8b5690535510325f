"""Analysts: cohorts, placement and Monte-Carlo runs (views, service)."""
