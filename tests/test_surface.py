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


def test_verbs_are_not_shadowed_by_subpackages():
    """Importing every subpackage first must not replace a re-exported verb by a module."""
    import importlib
    import types

    for module, _ in set(geo_enroll._LAZY.values()):
        importlib.import_module(module)
    for name in geo_enroll._LAZY:
        assert not isinstance(getattr(geo_enroll, name), types.ModuleType), name
