"""The settings object documents every field (STYLE habit 4)."""

from dataclasses import fields

from geo_enroll.settings import DEFAULT_SETTINGS, Settings


def test_every_settings_field_is_documented():
    doc = Settings.__doc__ or ""
    missing = [f.name for f in fields(Settings) if f"{f.name} :" not in doc]
    assert missing == [], f"undocumented Settings fields: {missing}"


def test_settings_are_frozen():
    import dataclasses

    import pytest

    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_SETTINGS.snap_gap_m = 1.0  # type: ignore[misc]
