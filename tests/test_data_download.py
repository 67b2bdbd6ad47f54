"""Downloads for real over a loopback HTTP server: checksums, mirror, safe extraction, atomic result."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from data_fixtures import (
    caltech_tree,
    file_member,
    hardlink_member,
    link_member,
    mvtec_tree,
    path_max_symlink_chain,
    serve,
    sha256,
    tar_bytes,
)

from rd4ad.cli import main
from rd4ad.data.caltech import ARCHIVE as CALTECH
from rd4ad.data.caltech import fetch_caltech
from rd4ad.data.download import RemoteFile, download
from rd4ad.data.mvtec import ARCHIVE as MVTEC
from rd4ad.data.mvtec import CATEGORIES, fetch_mvtec, validate_mvtec
from rd4ad.data.validate import RECORD
from rd4ad.files.errors import RD4ADError
from rd4ad.files.temporaries import temp_prefix

NAME = MVTEC.filename


@pytest.fixture(scope="module")
def mvtec_archive(tmp_path_factory):
    return tar_bytes(mvtec_tree(tmp_path_factory.mktemp("src") / "mvtec"))


def _remote(data: bytes) -> RemoteFile:
    return dataclasses.replace(MVTEC, digest=sha256(data))


def _fetch_error(tmp_path, data: bytes, digest: str, short=frozenset()) -> str:
    parent = tmp_path / "resources"
    with serve({NAME: data}, short) as url, pytest.raises(RD4ADError) as err:
        fetch_mvtec(parent / "mvtec", mirror=url, remote=dataclasses.replace(MVTEC, digest=digest))
    assert not parent.exists() or list(parent.iterdir()) == [], "a failed fetch left files behind"
    return str(err.value)


def test_mvtec_fetch_from_mirror_validates_and_is_reused(tmp_path, mvtec_archive):
    root = tmp_path / "resources" / "mvtec"
    with serve({NAME: mvtec_archive}) as url:
        assert fetch_mvtec(root, mirror=url, remote=_remote(mvtec_archive)) == root
    assert validate_mvtec(root, CATEGORIES) == list(CATEGORIES) and (root / RECORD).is_file()
    assert sorted(p.name for p in root.parent.iterdir()) == ["mvtec"]
    assert fetch_mvtec(root, mirror="http://127.0.0.1:9/unreachable", remote=_remote(mvtec_archive)) == root


def test_local_mvtec_copy_is_used_without_download(tmp_path, capsys):
    local = mvtec_tree(tmp_path / "local")
    assert main(["fetch", "mvtec", "--local", str(local)]) == 0
    assert capsys.readouterr().out == f"{local}\n" and sorted(p.name for p in tmp_path.iterdir()) == ["local"]


def test_wrong_checksum_is_refused_and_nothing_left(tmp_path, mvtec_archive):
    message = _fetch_error(tmp_path, mvtec_archive, "0" * 64)
    assert "sha256 checksum" in message and sha256(mvtec_archive) in message and "0" * 64 in message


def test_short_transfer_is_refused(tmp_path, mvtec_archive):
    message = _fetch_error(tmp_path, mvtec_archive, sha256(mvtec_archive), short={NAME})
    assert f"download truncated ({len(mvtec_archive) // 2} of {len(mvtec_archive)} bytes)" in message


def test_truncated_archive_is_refused(tmp_path, mvtec_archive):
    cut = mvtec_archive[: len(mvtec_archive) * 2 // 3]
    message = _fetch_error(tmp_path, cut, sha256(cut))
    assert "archive is truncated or corrupt" in message and "delete it" not in message
    assert message.endswith("it was deleted: run the fetch again to download it anew")


def test_a_nested_archive_names_its_members_not_the_deleted_partial_folder(tmp_path):
    mvtec_tree(tmp_path / "src" / "mvtec_anomaly_detection")
    data = tar_bytes(tmp_path / "src")
    shutil.rmtree(tmp_path / "src")
    message = _fetch_error(tmp_path, data, sha256(data))
    assert ".partial-" not in message and "holds no valid copy: its top level: missing MVTec categories" in message
    assert f"{tmp_path / 'resources' / ('.mvtec.' + NAME)} holds no valid copy: " in message


@pytest.mark.parametrize(
    "member, text",
    [
        (file_member("../evil"), "'../evil' has an absolute path or '..'"),
        (file_member("/abs/evil"), "'/abs/evil' has an absolute path or '..'"),
        (link_member("bottle/escape", "../../outside"), "'bottle/escape' is a link (to '../../outside')"),
        (link_member("bottle/root", "/etc/passwd"), "'bottle/root' is a link (to '/etc/passwd')"),
        (link_member("bottle/inside", "train"), "'bottle/inside' is a link (to 'train')"),
        (hardlink_member("bottle/hard", "bottle/train/good/000.png"), "'bottle/hard' is a link"),
    ],
)
def test_hostile_members_are_refused(tmp_path, member, text):
    data = tar_bytes(mvtec_tree(tmp_path / "src"), extra=[member])
    shutil.rmtree(tmp_path / "src")
    message = _fetch_error(tmp_path, data, sha256(data))
    assert text in message
    assert not (tmp_path / "evil").exists() and not (tmp_path / "abs").exists()


def test_missing_mask_is_refused(tmp_path):
    src = mvtec_tree(tmp_path / "src")
    (src / "screw" / "ground_truth" / "crack" / "001_mask.png").unlink()
    data = tar_bytes(src)
    shutil.rmtree(src)
    message = _fetch_error(tmp_path, data, sha256(data))
    assert "screw/ground_truth/crack/001_mask.png: missing ground-truth mask" in message


def test_undecodable_image_is_refused(tmp_path):
    src = mvtec_tree(tmp_path / "src")
    (src / "wood" / "test" / "good" / "000.png").write_bytes(b"")
    data = tar_bytes(src)
    shutil.rmtree(src)
    assert "wood/test/good/000.png: unreadable (empty file); repair or remove" in _fetch_error(
        tmp_path, data, sha256(data)
    )


def test_caltech_fetch_md5(tmp_path):
    data = tar_bytes(caltech_tree(tmp_path / "src"), mode="w")
    shutil.rmtree(tmp_path / "src")
    remote = dataclasses.replace(CALTECH, digest=hashlib.md5(data).hexdigest())
    root = tmp_path / "resources" / "caltech256"
    with serve({CALTECH.filename: data}) as url:
        fetch_caltech(root, mirror=url, remote=remote)
        assert len(list((root / "256_ObjectCategories").iterdir())) == 257
        with pytest.raises(RD4ADError, match="md5 checksum"):
            fetch_caltech(tmp_path / "other" / "caltech256", mirror=url, remote=CALTECH)
    assert not (tmp_path / "other").exists() or list((tmp_path / "other").iterdir()) == []


def test_invalid_existing_root_is_not_overwritten(tmp_path, mvtec_archive):
    root = tmp_path / "mvtec"
    (root / "bottle").mkdir(parents=True)
    with pytest.raises(RD4ADError, match="exists but is not a complete copy"):
        fetch_mvtec(root, mirror="http://127.0.0.1:9", remote=_remote(mvtec_archive))
    assert (root / "bottle").is_dir()


def test_unreachable_host_is_one_clear_error(tmp_path):
    with serve({}) as url, pytest.raises(RD4ADError, match="download failed .*HTTP Error 404.*--mirror"):
        download(dataclasses.replace(MVTEC, digest="0"), tmp_path / "x.tar.xz", mirror=url)
    assert list(tmp_path.iterdir()) == []


def test_fetch_cli_reports_error(tmp_path, capsys):
    assert main(["fetch", "mvtec", "--local", str(tmp_path / "nowhere")]) == 2
    assert "MVTec folder not found" in capsys.readouterr().err


def test_path_max_symlink_chain_is_refused(tmp_path, mvtec_archive):
    """CVE-2025-4517: on Python 3.11.7 this layout overwrites <parent>/flag through tarfile's data filter."""
    parent = tmp_path / "resources"
    parent.mkdir()
    (parent / "flag").write_text("original")
    dest = parent / f"{temp_prefix('mvtec', partial=True)}abcdefgh"  # the length of the real partial folder
    data = tar_bytes(mvtec_tree(tmp_path / "src"), extra=path_max_symlink_chain(dest))
    with serve({NAME: data}) as url, pytest.raises(RD4ADError) as err:
        fetch_mvtec(parent / "mvtec", mirror=url, remote=_remote(data))
    assert "member 'a' is a link (to 'dddd" in str(err.value) and "refused" in str(err.value)
    assert (parent / "flag").read_text() == "original"
    assert sorted(p.name for p in parent.iterdir()) == ["flag"]


def test_zip_archive_is_unsupported_not_corrupt(tmp_path):
    src = mvtec_tree(tmp_path / "src", categories=("bottle",))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path in sorted(src.rglob("*.png")):
            z.write(path, path.relative_to(src).as_posix())
    message = _fetch_error(tmp_path, buf.getvalue(), sha256(buf.getvalue()))
    assert "a zip archive; only tar archives (.tar, .tar.gz, .tar.xz) are supported" in message
    assert "corrupt" not in message


def test_verified_archive_is_reused_and_stale_downloads_removed(tmp_path, mvtec_archive, capsys):
    parent = tmp_path / "resources"
    parent.mkdir()
    archive = parent / f".mvtec.{NAME}"
    archive.write_bytes(mvtec_archive)  # left by a fetch killed during extraction
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    owner = f"~{os.getpid()}~"
    stale = [
        parent / f"{temp_prefix(archive.name).replace(owner, f'~{int(dead.stdout)}~')}k2j4h6g8.part",
        parent / f"{temp_prefix('mvtec', partial=True).replace(owner, f'~{int(dead.stdout)}~')}q1w2e3r4",
    ]
    stale[0].write_bytes(mvtec_archive[:100])
    (stale[1] / "bottle").mkdir(parents=True)
    assert fetch_mvtec(parent / "mvtec", mirror="http://127.0.0.1:9/unreachable", remote=_remote(mvtec_archive))
    assert validate_mvtec(parent / "mvtec", CATEGORIES) == list(CATEGORIES)
    assert sorted(p.name for p in parent.iterdir()) == ["mvtec"]
    assert "reusing the archive already downloaded and verified" in capsys.readouterr().err

    shutil.rmtree(parent / "mvtec")
    archive.write_bytes(mvtec_archive[:-1] + b"!")  # not the verified bytes: downloaded again
    with serve({NAME: mvtec_archive}) as url:
        fetch_mvtec(parent / "mvtec", mirror=url, remote=_remote(mvtec_archive))
    assert sorted(p.name for p in parent.iterdir()) == ["mvtec"]
