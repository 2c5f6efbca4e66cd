"""Exported bags verify with standard tools only, and any changed byte is caught."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import bagit
import pytest

from app.extensions import db
from tests.casefiles.conftest import require_binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def public_key(app_ctx) -> str:
    from app.security import org_keys

    return org_keys.minisign_public_key()


def cli_export(app, reference: str, out: Path, *extra: str):
    """`flask case export` for internal review unless `extra` says otherwise; unencrypted
    (a folder) unless it names a recipient."""
    if "--recipient" not in extra and "--unencrypted-reason" not in extra:
        extra = (*extra, "--unencrypted-reason", "checked on site by the technician")
    result = app.test_cli_runner().invoke(
        args=["case", "export", reference, "--out", str(out), "--for", "ICC OTP", *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def checks(bag: Path, public_key: str) -> dict[str, bool]:
    """The three checks a receiving party runs; True means it passed."""
    # The README's command, as the receiving party runs it.
    validate = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(bag)], capture_output=True, check=False
    )
    valid = validate.returncode == 0
    minisign = subprocess.run(
        [require_binary("minisign"), "-Vm", str(bag / "tagmanifest-sha256.txt"), "-P", public_key],
        capture_output=True,
        check=False,
    )
    custody = bag / "data" / "custody"
    verifier = subprocess.run(
        [
            sys.executable,
            str(bag / "data" / "tools" / "verify_custody.py"),
            str(custody / "custody-ledger.jsonl"),
            "--checkpoint",
            str(custody / "checkpoint.json"),
            "--signature",
            str(custody / "checkpoint.json.minisig"),
            "--public-key",
            public_key,
        ],
        capture_output=True,
        check=False,
    )
    return {
        "bagit": valid,
        "minisign": minisign.returncode == 0,
        "verify_custody": verifier.returncode == 0,
    }


def test_exported_bag_validates_and_its_signature_and_ledger_verify(
    app, built_case, tmp_path, public_key
):
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)
    assert checks(out, public_key) == {"bagit": True, "minisign": True, "verify_custody": True}
    bagit.Bag(str(out)).validate(processes=1)  # and the library's own full validation
    assert (out / "bagit.txt").read_text().startswith("BagIt-Version: 1.0")
    info = (out / "bag-info.txt").read_text()
    assert "Exported-By: operator (command line)" in info
    assert "Exported-For: ICC OTP" in info
    assert "Exported-At: " in info
    for name in (
        "report/casefile-report.html",
        "report/casefile-report.pdf",
        "tools/verify_custody.py",
    ):
        assert (out / "data" / name).is_file(), name


def test_the_readme_is_a_how_to_verify_page_that_sends_readers_to_the_published_key_and_tool(
    app, built_case, tmp_path, public_key
):
    import base64
    import hashlib

    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)
    readme = (out / "data" / "README.txt").read_text()
    assert "HOW TO VERIFY THIS BAG" in readme
    assert "published channel and NOT from this bag" in readme
    shipped = hashlib.sha256((out / "data" / "tools" / "verify_custody.py").read_bytes())
    assert shipped.hexdigest() in readme
    assert hashlib.sha256((ROOT / "tools" / "verify_custody.py").read_bytes()).hexdigest() in readme
    key_id = format(int.from_bytes(base64.b64decode(public_key)[2:10], "little"), "X")
    assert f"key id {key_id}" in readme
    for command in (
        "bagit.py --validate",
        "minisign -Vm",
        "openssl ts -verify",
        "age -d",
        "--cosigner-key",
    ):
        assert command in readme, command


def test_the_bag_carries_the_signed_list_of_withheld_entries_that_minisign_accepts(
    app, built_case, tmp_path, public_key
):
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)
    custody = out / "data" / "custody"
    command = ["minisign", "-Vm", "data/custody/custody-withheld.json", "-P", public_key]
    assert " ".join(command[:3]) in (out / "data" / "README.txt").read_text()
    result = subprocess.run(command, cwd=out, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    listed = json.loads((custody / "custody-withheld.json").read_bytes())
    carried = [json.loads(line)["seq"] for line in (custody / "custody-ledger.jsonl").open()]
    assert carried == listed["disclosed"]
    assert listed["withheld_count"] == listed["tree_size"] - len(carried) > 0


def test_changing_any_byte_of_any_file_in_the_bag_is_caught(app, built_case, tmp_path, public_key):
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) > 15
    for path in files:
        original = path.read_bytes()
        changed = bytearray(original)
        position = len(changed) // 2
        changed[position] ^= 0x01
        path.write_bytes(bytes(changed))
        try:
            result = checks(out, public_key)
        finally:
            path.write_bytes(original)
        assert not all(result.values()), f"a changed byte in {path.relative_to(out)} went unnoticed"
    assert all(checks(out, public_key).values())


def test_encrypted_export_decrypts_with_the_age_binary_to_a_valid_bag(
    app, built_case, tmp_path, public_key
):
    from app.crypto.age import Identity

    identity = Identity.generate()
    key_file = tmp_path / "prosecutor.key"
    key_file.write_text(str(identity) + "\n")
    out = tmp_path / "case.tar.age"
    cli_export(app, built_case.casefile.reference, out, "--recipient", str(identity.recipient))
    assert out.read_bytes().startswith(b"age-encryption.org/v1\n")
    tar_path = tmp_path / "case.tar"
    subprocess.run(
        [require_binary("age"), "-d", "-i", str(key_file), "-o", str(tar_path), str(out)],
        check=True,
        capture_output=True,
    )
    with tarfile.open(tar_path) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    bag = tmp_path / "unpacked" / built_case.casefile.reference
    assert checks(bag, public_key) == {"bagit": True, "minisign": True, "verify_custody": True}
    assert not list(tmp_path.glob(".case.tar.age*")), "the plaintext working copy was left behind"


def test_export_is_recorded_in_the_ledger_for_each_exported_item(app, built_case, tmp_path):
    from sqlalchemy import select

    from app.custody.models import LedgerEntry

    cli_export(app, built_case.casefile.reference, tmp_path / "bag")
    db.session.expire_all()
    exported = set(
        db.session.scalars(select(LedgerEntry.object_id).where(LedgerEntry.action == "exported"))
    )
    assert built_case.photo.id in exported
    assert built_case.interview.id in exported
    assert built_case.withdrawn_interview.id not in exported


def flip_a_byte(path: Path) -> None:
    """Change one bit in the middle of a file: same length, different bytes."""
    changed = bytearray(path.read_bytes())
    changed[len(changed) // 2] ^= 0x01
    path.write_bytes(bytes(changed))


def assert_named_as_modified(bag: Path, path: Path, public_key: str) -> None:
    result = run_verifier(bag, public_key)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"FAILED: {path.relative_to(bag).as_posix()}: its SHA-256 differs from the one signed"
        " in entry "
    )


def run_verifier(bag: Path, public_key: str, *extra: str) -> subprocess.CompletedProcess:
    custody = bag / "data" / "custody"
    return subprocess.run(
        [
            sys.executable,
            str(bag / "data" / "tools" / "verify_custody.py"),
            str(custody / "custody-ledger.jsonl"),
            "--public-key",
            public_key,
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_verifier_hashes_each_evidence_file_against_its_signed_received_entry(
    app, built_case, tmp_path, public_key
):
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)
    (original,) = (out / "data" / "items").glob("*-evidence-*/original/*")

    result = run_verifier(out, public_key)
    assert result.returncode == 0, result.stderr
    assert ", 1 evidence files match their signed hashes" in result.stdout

    # Same length, one byte changed: a changed photo, its manifests rewritten to match.
    flip_a_byte(original)
    bagit.Bag(str(out)).save(manifests=True)
    assert (
        subprocess.run(
            [sys.executable, "-m", "bagit", "--validate", str(out)], capture_output=True
        ).returncode
        == 0
    )
    assert_named_as_modified(out, original, public_key)


def test_an_evidence_file_the_ledger_does_not_vouch_for_is_named(
    app, built_case, tmp_path, public_key
):
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)
    (original,) = (out / "data" / "items").glob("*-evidence-*/original/*")
    planted = original.with_name("planted.jpg")
    planted.write_bytes(original.read_bytes())

    result = run_verifier(out, public_key)

    assert result.returncode == 1
    assert result.stderr == (
        f"FAILED: {planted.relative_to(out).as_posix()}: not an evidence file its"
        " metadata.json lists\n"
    )


def test_a_redacted_copy_is_checked_against_its_signed_derivative_entry(
    app, built_case, tmp_path, public_key
):
    from app.casefiles.services.redaction import Rectangle, create_redacted_copy

    create_redacted_copy(
        built_case.casefile, built_case.author, built_case.photo, [Rectangle(0.1, 0.1, 0.3, 0.3)]
    )
    db.session.commit()
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out, "--files", "both")
    assert ", 2 evidence files match" in run_verifier(out, public_key).stdout
    (copy,) = (out / "data" / "items").glob("*-evidence-*/redacted/*")
    flip_a_byte(copy)

    assert_named_as_modified(out, copy, public_key)


def test_the_bag_is_laid_out_and_signed_as_custody_format_8_1_specifies(
    app, built_case, tmp_path, public_key
):
    import base64
    import hashlib
    import re

    doc = (ROOT / "docs" / "custody-format.md").read_text(encoding="utf-8")
    section = doc[doc.index("### 8.1 Case-file bag") : doc.index("## 9. Verifying an export")]
    paths = re.findall(r"^\| `([^`<]+)`", section, flags=re.M)
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out)

    assert len(paths) == 12
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["data", *(p for p in paths if "/" not in p)]
    )
    assert sorted(p.name for p in (out / "data").iterdir()) == sorted(
        p.removeprefix("data/").split("/")[0] for p in paths if p.startswith("data/")
    )
    manifest = (out / "tagmanifest-sha256.txt").read_bytes()
    signature = (out / "tagmanifest-sha256.txt.minisig").read_text()
    comment = (
        f"custos-bag-v1 {built_case.casefile.reference} tagmanifest-sha256"
        f" {hashlib.sha256(manifest).hexdigest()}"
    )
    assert signature.splitlines()[0] == "untrusted comment: signature from custos export key"
    assert signature.splitlines()[2] == f"trusted comment: {comment}"
    shown = subprocess.run(
        [require_binary("minisign"), "-Vm", str(out / "tagmanifest-sha256.txt"), "-P", public_key],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Trusted comment: {comment}" in shown.stdout
    checkpoint_key = (out / "data" / "custody" / "checkpoint.json.minisig").read_text()
    key_id = base64.b64decode(signature.splitlines()[1])[2:10]
    assert base64.b64decode(checkpoint_key.splitlines()[1])[2:10] == key_id
