"""The curated surface of ``geo_enroll`` (STYLE habit 1): every re-exported verb resolves."""

import geo_enroll


def test_every_public_name_resolves_to_a_callable():
    for name in geo_enroll.__all__:
        value = getattr(geo_enroll, name)
        assert value is not None, name
        if name not in ("DEFAULT_SETTINGS", "__version__"):
            assert callable(value), name


def test_unknown_names_raise_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        geo_enroll.no_such_verb  # noqa: B018
