"""Blueprints: public (parents), planner, analyst, staff, api (auth lives in :mod:`web.auth`)."""
