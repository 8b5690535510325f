"""The published version is kept between lookups, never past a publication: by this
connection, by another thread, by another process (another Store on the same file)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from web.storage import Store

FC = {"type": "FeatureCollection", "features": []}


def _two_versions(store: Store, jurisdiction: str = "") -> tuple[int, int]:
    a = store.save_version(
        spec={"schools": []}, zones=FC, author="p", message="a", jurisdiction=jurisdiction
    )
    b = store.save_version(
        spec={"schools": [1]}, zones=FC, author="p", message="b", jurisdiction=jurisdiction
    )
    return a, b


def test_own_publication_is_seen_at_once(tmp_path):
    s = Store(tmp_path / "s.sqlite")
    a, b = _two_versions(s, "x")
    assert s.current_version_id("x") is None
    s.publish(a, author="p")
    assert s.current_version_id("x") == a
    assert s.current_version_id("x") == a  # from the kept answer
    s.publish(b, author="p")
    assert s.current_version_id("x") == b
    assert s.current_version_id("y") is None


def test_memory_store_sees_its_publications():
    s = Store(":memory:")
    a, b = _two_versions(s)
    s.publish(a, author="p")
    assert s.current_version_id() == a
    s.publish(b, author="p")
    assert s.current_version_id() == b


def test_another_connection_publishing_is_seen(tmp_path):
    path = tmp_path / "s.sqlite"
    reader, writer = Store(path), Store(path)
    a, b = _two_versions(writer, "x")
    writer.publish(a, author="p")
    assert reader.current_version_id("x") == a
    writer.publish(b, author="p")
    assert reader.current_version_id("x") == b
    writer.publish(a, author="p")  # back to the first: the kept answer must not win
    assert reader.current_version_id("x") == a


def test_another_thread_publishing_is_seen(tmp_path):
    s = Store(tmp_path / "s.sqlite")
    a, b = _two_versions(s, "x")
    s.publish(a, author="p")
    assert s.current_version_id("x") == a
    t = threading.Thread(target=lambda: s.publish(b, author="p"))
    t.start()
    t.join()
    assert s.current_version_id("x") == b


def test_another_process_publishing_is_seen(tmp_path):
    path = tmp_path / "s.sqlite"
    s = Store(path)
    a, b = _two_versions(s, "x")
    s.publish(a, author="p")
    assert s.current_version_id("x") == a
    code = textwrap.dedent(
        f"""
        from web.storage import Store
        Store({str(path)!r}).publish({b}, author="other")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))
    assert s.current_version_id("x") == b


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]
