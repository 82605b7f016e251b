"""cdisc.writers.staging: a package folder replaced whole, or not at all."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cdisc.errors import UsageError
from cdisc.writers import staging
from cdisc.writers.staging import check_replaceable, failed_path, remove_stale, stage


def _package(folder: Path, content: str) -> Path:
    (folder / "m5").mkdir(parents=True)
    (folder / "raw_summary.json").write_text(content, encoding="utf-8")
    (folder / "m5" / "dm.xpt").write_text(content, encoding="utf-8")
    return folder


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def test_publish_replaces_the_previous_package_whole(tmp_path):
    target = _package(tmp_path / "sail", "old")
    (target / "only-in-old.csv").write_text("x", encoding="utf-8")
    with stage(target) as staged:
        assert staged.folder.parent == tmp_path
        assert staged.folder.name.startswith(f".sail.partial-{os.getpid()}-")
        _package(staged.folder, "new")
        # Until it is published, the target is the previous package, untouched.
        assert _files(target)["m5/dm.xpt"] == "old"
        assert staged.publish() == target
    assert _files(target) == {"m5/dm.xpt": "new", "raw_summary.json": "new"}
    assert os.listdir(tmp_path) == ["sail"]


def test_the_published_folder_has_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with stage(tmp_path / "sail") as staged:
            staged.publish()
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "sail").stat().st_mode) == 0o755


@pytest.mark.parametrize("stop", [RuntimeError, KeyboardInterrupt])
def test_an_exception_or_ctrl_c_removes_the_temporary_folder(tmp_path, stop):
    target = _package(tmp_path / "sail", "old")
    with pytest.raises(stop), stage(target) as staged:
        _package(staged.folder, "half")
        raise stop("stopped")
    assert _files(target) == {"m5/dm.xpt": "old", "raw_summary.json": "old"}
    assert os.listdir(tmp_path) == ["sail"]


def test_reject_keeps_the_failed_build_beside_and_a_later_success_clears_it(tmp_path):
    target = _package(tmp_path / "sail", "old")
    for attempt in ("failed once", "failed twice"):
        with stage(target) as staged:
            _package(staged.folder, attempt)
            assert staged.reject() == tmp_path / "sail.failed"
        assert _files(target)["m5/dm.xpt"] == "old"
        assert _files(failed_path(target))["m5/dm.xpt"] == attempt
        assert sorted(os.listdir(tmp_path)) == ["sail", "sail.failed"]
    with stage(target) as staged:
        _package(staged.folder, "new")
        staged.publish()
    assert os.listdir(tmp_path) == ["sail"]


def test_a_first_build_publishes_into_a_new_output_folder(tmp_path):
    target = tmp_path / "out" / "deeper" / "sail"
    with stage(target) as staged:
        _package(staged.folder, "new")
        staged.publish()
    assert _files(target)["raw_summary.json"] == "new"


def test_stale_folders_of_dead_builds_are_removed_and_live_ones_kept(tmp_path):
    target = _package(tmp_path / "sail", "old")
    dead = _dead_pid()
    leftovers = [tmp_path / f".sail.partial-{dead}-00ff", tmp_path / f".sail.old-{dead}-0a0b"]
    live = tmp_path / f".sail.partial-{os.getppid()}-1234"  # this test's parent: alive
    other = tmp_path / f".rave.partial-{dead}-1234"  # another study's: not this build's
    for folder in [*leftovers, live, other]:
        _package(folder, "left")
    with stage(target) as staged:
        staged.publish()
    assert sorted(os.listdir(tmp_path)) == sorted(["sail", live.name, other.name])


def test_a_previous_package_a_killed_swap_left_aside_is_put_back(tmp_path):
    # Killed between the two renames of a swap: no "sail", the previous package under .old.
    aside = _package(tmp_path / f".sail.old-{_dead_pid()}-beef", "old")
    assert remove_stale(tmp_path / "sail") == []
    assert not aside.exists()
    assert _files(tmp_path / "sail")["m5/dm.xpt"] == "old"


def test_a_failure_inside_the_swap_puts_the_previous_package_back(tmp_path, monkeypatch):
    target = _package(tmp_path / "sail", "old")
    renames = []
    real = os.rename

    def rename(source, destination):
        renames.append(Path(source).name)
        if len(renames) == 2:  # the second rename: the new package in
            raise KeyboardInterrupt
        real(source, destination)

    with stage(target) as staged:
        _package(staged.folder, "new")
        monkeypatch.setattr(staging.os, "rename", rename)
        with pytest.raises(KeyboardInterrupt):
            staged.publish()
        monkeypatch.setattr(staging.os, "rename", real)
    assert _files(target)["m5/dm.xpt"] == "old"
    assert os.listdir(tmp_path) == ["sail"]


def test_a_folder_that_is_not_a_package_is_never_replaced(tmp_path):
    mine = tmp_path / "sail"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work", encoding="utf-8")
    with pytest.raises(UsageError, match="holds files that no build wrote") as error:
        stage(mine)
    assert error.value.hint == "move those files away or choose another --out folder"
    assert os.listdir(tmp_path) == ["sail"]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="exists and is not a package folder"):
        check_replaceable(tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    check_replaceable(empty)  # an empty folder may become the package
