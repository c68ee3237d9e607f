"""Other local users cannot read a service's database or pictures: files 0600, folders 0700."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from services.auth.pictures import PictureStore
from shared.db import Database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    # The most permissive umask a host could have: only our explicit modes protect the files.
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("loose_umask")
async def test_a_new_database_and_its_folder_are_private(tmp_path: Path) -> None:
    db = Database(tmp_path / "data" / "svc" / "svc.sqlite3", "CREATE TABLE t (x INTEGER);")
    await db.open()
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (1)")
    await db.close()
    assert _mode(db.path) == 0o600
    assert _mode(db.path.parent) == 0o700


@pytest.mark.usefixtures("loose_umask")
async def test_an_older_world_readable_database_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    folder.mkdir(mode=0o755)
    path = folder / "svc.sqlite3"
    path.touch(mode=0o644)
    db = Database(path, "CREATE TABLE t (x INTEGER);")
    await db.open()
    await db.close()
    assert (_mode(path), _mode(folder)) == (0o600, 0o700)


@pytest.mark.usefixtures("loose_umask")
async def test_stored_pictures_and_their_folder_are_private(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    store = PictureStore(tmp_path / "pictures")
    name = await store.save(out.getvalue(), "image/png")
    assert _mode(tmp_path / "pictures" / name) == 0o600
    assert _mode(tmp_path / "pictures") == 0o700
