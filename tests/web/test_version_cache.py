"""The published version is kept between lookups, never past a publication by this process
(this connection, another thread, another Store on the same file); a publication by another
process is seen within Store.EXTERNAL_CHECK_S."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

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


def test_another_store_of_this_process_publishing_is_seen_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(Store, "EXTERNAL_CHECK_S", 3600.0)  # only this process's count helps
    path = tmp_path / "s.sqlite"
    reader, writer = Store(path), Store(str(path.parent) + "/./s.sqlite")
    a, b = _two_versions(writer, "x")
    writer.publish(a, author="p")
    assert reader.current_version_id("x") == a
    writer.publish(b, author="p")
    assert reader.current_version_id("x") == b
    writer.publish(a, author="p")  # back to the first: the kept answer must not win
    assert reader.current_version_id("x") == a


def test_another_thread_publishing_is_seen_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(Store, "EXTERNAL_CHECK_S", 3600.0)
    s = Store(tmp_path / "s.sqlite")
    a, b = _two_versions(s, "x")
    s.publish(a, author="p")
    assert s.current_version_id("x") == a
    t = threading.Thread(target=lambda: s.publish(b, author="p"))
    t.start()
    t.join()
    assert s.current_version_id("x") == b


def _publish_elsewhere(path, version_id: int) -> None:
    code = textwrap.dedent(
        f"""
        from web.storage import Store
        Store({str(path)!r}).publish({version_id}, author="other")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))


def test_another_process_publishing_is_seen_when_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(Store, "EXTERNAL_CHECK_S", 0.0)  # check the file on every call
    path = tmp_path / "s.sqlite"
    s = Store(path)
    a, b = _two_versions(s, "x")
    s.publish(a, author="p")
    assert s.current_version_id("x") == a
    _publish_elsewhere(path, b)
    assert s.current_version_id("x") == b
    _publish_elsewhere(path, a)
    assert s.current_version_id("x") == a


def test_another_process_publishing_is_seen_within_the_interval(tmp_path, monkeypatch):
    monkeypatch.setattr(Store, "EXTERNAL_CHECK_S", 0.2)
    path = tmp_path / "s.sqlite"
    s = Store(path)
    a, b = _two_versions(s, "x")
    s.publish(a, author="p")
    assert s.current_version_id("x") == a
    _publish_elsewhere(path, b)
    time.sleep(0.25)  # the interval has passed (the subprocess alone usually takes longer)
    assert s.current_version_id("x") == b


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]
