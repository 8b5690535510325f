"""Planners: zoning versions, edit → preview → save, diff, publish (views, service, edits)."""
