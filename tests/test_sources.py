"""Tests for gridstudy.sources: local copies, archive layouts, checksums and network failures.

No test reaches the network: downloads are stubbed, or go to listeners on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import logging
import runpy
import socket
import sys
import time
import types
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import requests
import ucimlrepo

from gridstudy import sources
from gridstudy.sources import SourceError
from tests import fakedata, stubserver

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
SHARED_XLS = SHARED_DATA / "credit_default" / "default of credit card clients.xls"
SHARED_CSV = SHARED_DATA / "credit_default" / "default_of_credit_card_clients.csv"
SHARED_ZIP = SHARED_DATA / "amazon_reviews" / "184-702-tu-ml-2025-s-reviews.zip"
COMPETITION = "184-702-tu-ml-2025-s-reviews"
FAKE_KEY = "FAKE-KAGGLE-KEY-3b9d1c7e5a"

needs_shared = pytest.mark.shared_data


# ------------------------------------------------------------------------------- helpers


@pytest.fixture
def sleeps(monkeypatch):
    """Record the backoff delays instead of waiting."""
    delays = []
    monkeypatch.setattr(sources, "_sleep", delays.append)
    return delays


def credit_outputs(folder: Path) -> dict:
    return {"csv": folder / "raw" / "data.csv", "checksums": folder / "raw" / "sha256.json"}


def review_outputs(folder: Path) -> dict:
    raw = folder / "raw"
    return {
        "train": raw / "train.csv",
        "test": raw / "test.csv",
        "sample_submission": raw / "sample_submission.csv",
        "checksums": raw / "sha256.json",
    }


def assert_no_outputs(outputs: dict) -> None:
    for path in outputs.values():
        assert not path.exists(), f"{path} was left behind"
    folder = next(iter(outputs.values())).parent
    leftovers = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def write_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def credit_frame(n_rows: int = 40) -> pd.DataFrame:
    return pd.DataFrame(fakedata.credit_rows(n_rows), columns=sources.CREDIT_COLUMNS)


def fake_uci_result(frame: pd.DataFrame):
    data = types.SimpleNamespace(ids=frame[["ID"]], features=frame.iloc[:, 1:24], targets=frame[["Y"]])
    return types.SimpleNamespace(data=data)


@pytest.fixture
def kaggle_env(monkeypatch, tmp_path):
    """Start from no Kaggle credentials at all: clean variables and an empty home folder."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return monkeypatch


def install_fake_kaggle(monkeypatch, download, authenticate=lambda: None) -> list:
    """Put a fake ``kaggle`` module in sys.modules; return the list of download calls."""
    calls = []

    class KaggleApi:
        def authenticate(self):
            authenticate()

        def competition_download_files(self, competition, path=None, quiet=True):
            calls.append((competition, path))
            download(competition, Path(path))

    module = types.ModuleType("kaggle")
    module.KaggleApi = KaggleApi
    monkeypatch.setitem(sys.modules, "kaggle", module)
    return calls


def fail_download(competition, folder):
    raise AssertionError("download must not be attempted")


# -------------------------------------------------------------------- credit: local copies


def test_credit_local_csv_copied_verbatim(tmp_path):
    source = fakedata.write_credit_csv(tmp_path / "credit.csv", n_rows=50)
    outputs = credit_outputs(tmp_path)

    record = sources.fetch_credit_default(**outputs, local_copy=source)

    assert outputs["csv"].read_bytes() == source.read_bytes()
    digest = sources.sha256_file(source)
    assert record["files"] == {"data.csv": digest}
    assert record["source"]["kind"] == "local_copy"
    assert record["source"]["sha256"] == digest
    assert record["source"]["converted"] is False
    assert json.loads(outputs["checksums"].read_text()) == record


def test_credit_local_csv_rewritten_as_integers(tmp_path):
    frame = credit_frame(30)
    shuffled = frame[list(reversed(sources.CREDIT_COLUMNS))].astype("float64")
    source = tmp_path / "floats.csv"
    shuffled.to_csv(source, index=False)
    expected = fakedata.write_credit_csv(tmp_path / "expected.csv", n_rows=30)
    outputs = credit_outputs(tmp_path)

    record = sources.fetch_credit_default(**outputs, local_copy=source)

    assert record["source"]["converted"] is True
    assert outputs["csv"].read_bytes() == expected.read_bytes()


@pytest.mark.parametrize(
    ("edit", "expected_words"),
    [
        (lambda f: f.drop(columns=["X5"]), ["missing column", "X5"]),
        (lambda f: f.assign(**{"Unnamed: 0": range(len(f))}), ["unexpected column", "Unnamed: 0"]),
        (lambda f: f.astype({"X3": object}).assign(X3=["unknown"] + list(f["X3"][1:])), ["X3", "'unknown'"]),
        (lambda f: f.astype({"X12": object}).assign(X12=list(f["X12"][:4]) + ["?"] + list(f["X12"][5:])), ["X12", "'?'", "row 5"]),
        (lambda f: f.astype({"Y": object}).assign(Y=[None] + list(f["Y"][1:])), ["Y", "empty cell"]),
        (lambda f: f.astype({"X1": float}).assign(X1=[0.5] + list(f["X1"][1:])), ["X1", "0.5"]),
    ],
    ids=["missing", "leftover-index", "unknown", "question-mark", "missing-target", "fraction"],
)
def test_credit_bad_columns_rejected(tmp_path, edit, expected_words):
    source = tmp_path / "bad.csv"
    edit(credit_frame(20)).to_csv(source, index=False)
    outputs = credit_outputs(tmp_path)

    with pytest.raises(SourceError) as caught:
        sources.fetch_credit_default(**outputs, local_copy=source)

    for word in expected_words:
        assert word in str(caught.value)
    assert_no_outputs(outputs)


def test_credit_local_copy_not_found(tmp_path):
    outputs = credit_outputs(tmp_path)
    with pytest.raises(SourceError, match="data.credit_default.local_copy"):
        sources.fetch_credit_default(**outputs, local_copy=tmp_path / "absent.csv")
    assert_no_outputs(outputs)


def test_credit_synthetic_xls_converted(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="writing a synthetic .xls needs xlwt, which is not installed")
    rows = fakedata.credit_rows(15)
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Data")
    descriptive = ["ID", "LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE"] + [f"V{i}" for i in range(18)]
    for column, name in enumerate(sources.CREDIT_COLUMNS[1:], start=1):
        sheet.write(0, column, name)
    for column, name in enumerate(descriptive + ["default payment next month"]):
        sheet.write(1, column, name)
    for row_index, row in enumerate(rows, start=2):
        for column, value in enumerate(row):
            sheet.write(row_index, column, int(value))
    source = tmp_path / "default of credit card clients.xls"
    workbook.save(str(source))
    expected = fakedata.write_credit_csv(tmp_path / "expected.csv", n_rows=15)
    outputs = credit_outputs(tmp_path)

    sources.fetch_credit_default(**outputs, local_copy=source)

    assert outputs["csv"].read_bytes() == expected.read_bytes()


@needs_shared
@pytest.mark.skipif(not SHARED_XLS.exists(), reason="the real UCI workbook is not in ../shared/data")
def test_credit_real_xls_converts_to_ucimlrepo_csv(tmp_path):
    outputs = credit_outputs(tmp_path)
    record = sources.fetch_credit_default(
        **outputs,
        local_copy=SHARED_XLS,
        sha256={
            "default of credit card clients.xls": "30c6be3abd8dcfd3e6096c828bad8c2f011238620f5369220bd60cfc82700933"
        },
    )

    assert record["source"]["converted"] is True
    assert outputs["csv"].read_bytes() == SHARED_CSV.read_bytes()


@needs_shared
@pytest.mark.skipif(not SHARED_CSV.exists(), reason="the real credit CSV is not in ../shared/data")
def test_credit_real_csv_with_pin(tmp_path):
    outputs = credit_outputs(tmp_path)
    pin = "70b04919874ce71492cd9e08e7bad15389a104e79bebf7811bf338ee89947b20"
    record = sources.fetch_credit_default(**outputs, local_copy=SHARED_CSV, sha256={"data.csv": pin})
    assert record["files"]["data.csv"] == pin
    assert record["source"]["converted"] is False


# ----------------------------------------------------------------------- credit: checksums


def test_credit_pinned_mismatch_leaves_nothing(tmp_path):
    source = fakedata.write_credit_csv(tmp_path / "credit.csv", n_rows=20)
    outputs = credit_outputs(tmp_path)
    wrong = "0" * 64

    with pytest.raises(SourceError) as caught:
        sources.fetch_credit_default(**outputs, local_copy=source, sha256={"data.csv": wrong})

    message = str(caught.value)
    assert "data.csv" in message
    assert wrong in message
    assert sources.sha256_file(source) in message
    assert_no_outputs(outputs)


def test_credit_pin_on_source_name_matches(tmp_path):
    source = fakedata.write_credit_csv(tmp_path / "credit.csv", n_rows=20)
    outputs = credit_outputs(tmp_path)
    digest = sources.sha256_file(source).upper()

    record = sources.fetch_credit_default(**outputs, local_copy=source, sha256={"credit.csv": digest})

    assert record["files"]["data.csv"] == digest.lower()


@pytest.mark.parametrize(
    ("pins", "expected"),
    [({"other.csv": "a" * 64}, "matches no file"), ({"data.csv": "abc"}, "Invalid sha256 pin")],
    ids=["unknown-name", "malformed"],
)
def test_credit_bad_pins_rejected(tmp_path, pins, expected):
    source = fakedata.write_credit_csv(tmp_path / "credit.csv", n_rows=20)
    outputs = credit_outputs(tmp_path)
    with pytest.raises(SourceError, match=expected):
        sources.fetch_credit_default(**outputs, local_copy=source, sha256=pins)
    assert_no_outputs(outputs)


# ------------------------------------------------------------------------ credit: download


def test_credit_download_writes_ucimlrepo_csv(tmp_path, monkeypatch):
    frame = credit_frame(25)
    frame["X1"] = frame["X1"].astype("float64")  # A float column must still be written as integers.
    monkeypatch.setattr(ucimlrepo, "fetch_ucirepo", lambda id: fake_uci_result(frame))
    expected = fakedata.write_credit_csv(tmp_path / "expected.csv", n_rows=25)
    outputs = credit_outputs(tmp_path)

    record = sources.fetch_credit_default(**outputs)

    assert outputs["csv"].read_bytes() == expected.read_bytes()
    assert record["source"]["kind"] == "download"


def test_credit_download_retries_with_backoff(tmp_path, monkeypatch, sleeps):
    attempts = []

    def flaky(id):
        attempts.append(id)
        if len(attempts) < 3:
            raise ConnectionError("Error connecting to server")
        return fake_uci_result(credit_frame(10))

    monkeypatch.setattr(ucimlrepo, "fetch_ucirepo", flaky)
    sources.fetch_credit_default(**credit_outputs(tmp_path), retries=3)

    assert attempts == [350, 350, 350]
    assert sleeps == [2.0, 4.0]


def test_uci_failure_names_setting(tmp_path, monkeypatch, sleeps):
    def down(id):
        raise ConnectionError("Error connecting to server")

    monkeypatch.setattr(ucimlrepo, "fetch_ucirepo", down)
    outputs = credit_outputs(tmp_path)

    with pytest.raises(SourceError) as caught:
        sources.fetch_credit_default(**outputs, retries=2)

    message = str(caught.value)
    assert "UCI" in message
    assert "credit default" in message
    assert "data.credit_default.local_copy" in message
    assert "3 attempt(s)" in message
    assert len(sleeps) == 2
    assert_no_outputs(outputs)


def test_socket_timeout_restores_default():
    before = socket.getdefaulttimeout()
    with sources.socket_timeout(1.5):
        assert socket.getdefaulttimeout() == 1.5
    assert socket.getdefaulttimeout() == before


@pytest.fixture
def loopback_proxy(monkeypatch):
    """Route urllib and requests through a proxy URL that the test sets on 127.0.0.1."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    def use(port: int) -> None:
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{port}")

    return use


def test_uci_silent_proxy_times_out(tmp_path, loopback_proxy, sleeps):
    outputs = credit_outputs(tmp_path)
    with stubserver.silent_listener() as port:
        loopback_proxy(port)
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            sources.fetch_credit_default(**outputs, timeout_s=1.0, retries=1)
        elapsed = time.monotonic() - started

    assert elapsed < 6.0, f"took {elapsed:.1f} s with a 1 s timeout and 2 attempts"
    assert "2 attempt(s) with a 1 s timeout" in str(caught.value)
    assert "data.credit_default.local_copy" in str(caught.value)
    assert sleeps == [2.0]
    assert_no_outputs(outputs)


def test_uci_refused_proxy_fails_fast(tmp_path, loopback_proxy, sleeps):
    outputs = credit_outputs(tmp_path)
    loopback_proxy(stubserver.refused_port())
    started = time.monotonic()

    with pytest.raises(SourceError, match="UCI download of the credit default data"):
        sources.fetch_credit_default(**outputs, timeout_s=1.0, retries=1)

    assert time.monotonic() - started < 4.0
    assert_no_outputs(outputs)


# ------------------------------------------------------------------ reviews: local copies


@pytest.mark.parametrize("layout", ["flat", "folder", "nested", "macosx"])
def test_reviews_archive_layouts(tmp_path, layout):
    archive = fakedata.write_review_archive(tmp_path / f"{layout}.zip", layout=layout)
    texts = fakedata.review_csv_texts()
    outputs = review_outputs(tmp_path)

    record = sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=archive)

    assert outputs["train"].read_text() == texts[fakedata.REVIEW_TRAIN]
    assert outputs["test"].read_text() == texts[fakedata.REVIEW_TEST]
    assert outputs["sample_submission"].read_text() == texts[fakedata.REVIEW_SAMPLE]
    assert sorted(record["source"]["members"]) == sorted(texts)
    assert record["source"]["sha256"] == sources.sha256_file(archive)
    assert set(record["files"]) == {"train.csv", "test.csv", "sample_submission.csv"}


def test_reviews_folder_of_csvs(tmp_path):
    folder = fakedata.write_review_folder(tmp_path / "csvs")
    (folder / "._amazon_review_ID.shuf.lrn.csv").write_bytes(b"\x00\x05\x16\x07")
    (folder / "__MACOSX").mkdir()
    (folder / "__MACOSX" / "amazon_review_ID.shuf.lrn.csv").write_text("not the data\n")
    outputs = review_outputs(tmp_path)

    record = sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=folder)

    assert outputs["train"].read_bytes() == (folder / fakedata.REVIEW_TRAIN).read_bytes()
    assert "sha256" not in record["source"]


def test_reviews_folder_of_per_file_zips(tmp_path):
    folder = tmp_path / "zips"
    folder.mkdir()
    texts = fakedata.review_csv_texts()
    for name, text in texts.items():
        write_zip(folder / f"{name}.zip", {name: text})
    outputs = review_outputs(tmp_path)

    sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=folder)

    assert outputs["test"].read_text() == texts[fakedata.REVIEW_TEST]


def test_reviews_identical_duplicates_accepted(tmp_path):
    folder = tmp_path / "both"
    fakedata.write_review_archive(folder / f"{COMPETITION}.zip")
    (folder / fakedata.REVIEW_SAMPLE).write_text(fakedata.review_csv_texts()[fakedata.REVIEW_SAMPLE])
    outputs = review_outputs(tmp_path)

    sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=folder)

    assert outputs["sample_submission"].exists()


def test_reviews_conflicting_duplicates_rejected(tmp_path):
    folder = tmp_path / "both"
    fakedata.write_review_archive(folder / f"{COMPETITION}.zip")
    (folder / fakedata.REVIEW_TRAIN).write_text("ID,V1\n0,1\n")
    outputs = review_outputs(tmp_path)

    with pytest.raises(SourceError, match="several different"):
        sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=folder)
    assert_no_outputs(outputs)


def test_reviews_macosx_entries_ignored(tmp_path):
    texts = fakedata.review_csv_texts()
    archive = write_zip(
        tmp_path / "mac.zip",
        {
            **texts,
            f"__MACOSX/{fakedata.REVIEW_TRAIN}": "resource fork\n",
            f"._{fakedata.REVIEW_TEST}": b"\x00\x05\x16\x07",
        },
    )
    outputs = review_outputs(tmp_path)

    record = sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=archive)

    assert outputs["train"].read_text() == texts[fakedata.REVIEW_TRAIN]
    assert all("__MACOSX" not in label and "._" not in label for label in record["source"]["members"])


@pytest.mark.parametrize(
    "member",
    ["../amazon_review_ID.shuf.lrn.csv", "/tmp/amazon_review_ID.shuf.lrn.csv", "data/../../evil.csv", "C:/evil.csv"],
    ids=["parent", "absolute", "nested-parent", "drive"],
)
def test_reviews_unsafe_members_rejected(tmp_path, member):
    archive = write_zip(tmp_path / "evil.zip", {**fakedata.review_csv_texts(), member: "ID\n"})
    outputs = review_outputs(tmp_path / "out")

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=archive)

    assert member in str(caught.value)
    assert_no_outputs(outputs)
    assert not (tmp_path / "evil.csv").exists()


def test_reviews_unsafe_member_in_nested_zip_rejected(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("../escape.csv", "ID\n")
    archive = write_zip(tmp_path / "outer.zip", {**fakedata.review_csv_texts(), "inner.zip": inner.getvalue()})

    with pytest.raises(SourceError, match=r"\.\./escape\.csv"):
        sources.fetch_amazon_reviews(**review_outputs(tmp_path), competition=COMPETITION, local_copy=archive)


def test_reviews_missing_training_lists_contents(tmp_path):
    texts = fakedata.review_csv_texts()
    del texts[fakedata.REVIEW_TRAIN]
    archive = write_zip(tmp_path / "partial.zip", {**texts, "README.txt": "hello"})
    outputs = review_outputs(tmp_path)

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=archive)

    message = str(caught.value)
    assert "*.lrn.csv" in message
    assert "training file" in message
    assert f"partial.zip!{fakedata.REVIEW_TEST}" in message
    assert "partial.zip!README.txt" in message
    assert_no_outputs(outputs)


def test_reviews_corrupt_zip_rejected(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 not really a zip")
    outputs = review_outputs(tmp_path)
    with pytest.raises(SourceError, match="not a valid zip archive"):
        sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=archive)
    assert_no_outputs(outputs)


def test_reviews_local_copy_not_found(tmp_path):
    with pytest.raises(SourceError, match="data.amazon_reviews.local_copy"):
        sources.fetch_amazon_reviews(
            **review_outputs(tmp_path), competition=COMPETITION, local_copy=tmp_path / "absent.zip"
        )


def test_reviews_pins_on_member_and_output(tmp_path):
    archive = fakedata.write_review_archive(tmp_path / "reviews.zip")
    outputs = review_outputs(tmp_path)
    texts = fakedata.review_csv_texts()
    train_digest = sources.hashlib.sha256(texts[fakedata.REVIEW_TRAIN].encode()).hexdigest()
    pins = {"train.csv": train_digest, fakedata.REVIEW_TRAIN: train_digest, "reviews.zip": sources.sha256_file(archive)}

    record = sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=archive, sha256=pins)

    assert record["files"]["train.csv"] == train_digest
    assert json.loads(outputs["checksums"].read_text()) == record


def test_reviews_pinned_mismatch_leaves_nothing(tmp_path):
    archive = fakedata.write_review_archive(tmp_path / "reviews.zip")
    outputs = review_outputs(tmp_path)
    wrong = "f" * 64

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(
            **outputs, competition=COMPETITION, local_copy=archive, sha256={"test.csv": wrong}
        )

    assert "'test.csv'" in str(caught.value)
    assert wrong in str(caught.value)
    assert_no_outputs(outputs)


@needs_shared
@pytest.mark.skipif(not SHARED_ZIP.exists(), reason="the real competition zip is not in ../shared/data")
def test_reviews_real_archive(tmp_path):
    outputs = review_outputs(tmp_path)
    pins = {
        "train.csv": "768f09894af85ad9561d26329b46cb8a93af5d35284b3666a40c1ed620ca27ba",
        "test.csv": "c34e533a662fd1eac6f5798e387c5f16913dc130b2e71555dbbc4e67676f1846",
        f"{COMPETITION}.zip": "03a367c82f6a32b90d596001b54c6e64e5b1f5e2111a3cea6563db01c5b3a349",
    }
    record = sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, local_copy=SHARED_ZIP, sha256=pins)
    assert record["files"]["sample_submission.csv"] == (
        "6a52ce4332bac46d20d0d2c11a0d8d852c5ebf5c32309236d2de446969e797a3"
    )


# ---------------------------------------------------------------------- reviews: download


def test_reviews_download_extracts_competition_zip(tmp_path, kaggle_env):
    config_dir = tmp_path / "kaggle-config"
    config_dir.mkdir()
    (config_dir / "kaggle.json").write_text(json.dumps({"username": "someone", "key": FAKE_KEY}))
    kaggle_env.setenv("KAGGLE_CONFIG_DIR", str(config_dir))

    def download(competition, folder):
        fakedata.write_review_archive(folder / f"{competition}.zip", layout="nested")

    calls = install_fake_kaggle(kaggle_env, download)
    outputs = review_outputs(tmp_path)

    record = sources.fetch_amazon_reviews(**outputs, competition=COMPETITION)

    assert [competition for competition, _ in calls] == [COMPETITION]
    assert outputs["train"].read_text() == fakedata.review_csv_texts()[fakedata.REVIEW_TRAIN]
    assert record["source"]["kind"] == "download"
    assert record["source"]["file"] == f"{COMPETITION}.zip"
    assert sorted(p.name for p in outputs["train"].parent.iterdir()) == [
        "sample_submission.csv", "sha256.json", "test.csv", "train.csv"
    ]


def assert_credentials_message(message: str) -> None:
    for hint in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY", "kaggle.json", "KAGGLE_CONFIG_DIR",
                 "data.amazon_reviews.local_copy", COMPETITION):
        assert hint in message, f"{hint!r} missing from: {message}"


def test_reviews_missing_credentials_one_message(tmp_path, kaggle_env):
    install_fake_kaggle(kaggle_env, fail_download)
    outputs = review_outputs(tmp_path)

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(**outputs, competition=COMPETITION)

    assert_credentials_message(str(caught.value))
    assert_no_outputs(outputs)


def test_reviews_authenticate_exit_is_credentials_error(tmp_path, kaggle_env, capsys):
    kaggle_env.setenv("KAGGLE_API_TOKEN", FAKE_KEY)

    def exit_like_kaggle_2():
        print("Kaggle auth help text")
        raise SystemExit(1)

    install_fake_kaggle(kaggle_env, fail_download, authenticate=exit_like_kaggle_2)

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(**review_outputs(tmp_path), competition=COMPETITION)

    assert_credentials_message(str(caught.value))
    assert FAKE_KEY not in str(caught.value)
    assert "Kaggle auth help text" not in capsys.readouterr().out


def test_reviews_import_oserror_is_credentials_error(tmp_path, kaggle_env):
    kaggle_env.setenv("KAGGLE_USERNAME", "someone")
    kaggle_env.setenv("KAGGLE_KEY", FAKE_KEY)
    fake_package = tmp_path / "fake_site"
    fake_package.mkdir()
    (fake_package / "kaggle.py").write_text(
        "raise OSError('Could not find kaggle.json. Make sure it is located in ~/.kaggle')\n"
    )
    kaggle_env.delitem(sys.modules, "kaggle", raising=False)
    kaggle_env.syspath_prepend(str(fake_package))

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(**review_outputs(tmp_path), competition=COMPETITION)

    assert_credentials_message(str(caught.value))
    assert "Could not find kaggle.json" in str(caught.value)


def test_reviews_missing_dependency_named(tmp_path, kaggle_env):
    """kaggle 2.2.5 imports six without declaring it; the message names six."""
    kaggle_env.setenv("KAGGLE_USERNAME", "someone")
    kaggle_env.setenv("KAGGLE_KEY", FAKE_KEY)
    fake_package = tmp_path / "fake_site"
    fake_package.mkdir()
    (fake_package / "kaggle.py").write_text("import six\n")
    kaggle_env.delitem(sys.modules, "kaggle", raising=False)
    kaggle_env.setitem(sys.modules, "six", None)
    kaggle_env.syspath_prepend(str(fake_package))

    with pytest.raises(SourceError) as caught:
        sources.fetch_amazon_reviews(**review_outputs(tmp_path), competition=COMPETITION)

    assert "pip install six" in str(caught.value)
    assert "data.amazon_reviews.local_copy" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "credentials (HTTP 401), so they are invalid"),
        (403, f"accept the competition's rules at https://www.kaggle.com/competitions/{COMPETITION}/rules first"),
        (404, "not found"),
    ],
)
def test_reviews_http_errors_not_retried(tmp_path, kaggle_env, sleeps, status, expected):
    kaggle_env.setenv("KAGGLE_USERNAME", "someone")
    kaggle_env.setenv("KAGGLE_KEY", FAKE_KEY)
    outputs = review_outputs(tmp_path)

    with stubserver.status_server(status) as url:

        def download(competition, folder):
            response = requests.post(f"{url}/api/v1/competitions.CompetitionApiService/DownloadDataFiles")
            response.raise_for_status()

        calls = install_fake_kaggle(kaggle_env, download)
        with pytest.raises(SourceError) as caught:
            sources.fetch_amazon_reviews(**outputs, competition=COMPETITION)

    assert expected in str(caught.value)
    assert "data.amazon_reviews.local_copy" in str(caught.value)
    assert len(calls) == 1
    assert sleeps == []
    assert_no_outputs(outputs)


def test_reviews_server_error_retried(tmp_path, kaggle_env, sleeps):
    kaggle_env.setenv("KAGGLE_API_TOKEN", FAKE_KEY)
    outputs = review_outputs(tmp_path)

    with stubserver.status_server(503) as url:
        calls = install_fake_kaggle(kaggle_env, lambda c, f: requests.get(url).raise_for_status())
        with pytest.raises(SourceError) as caught:
            sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, retries=2)

    assert "Kaggle" in str(caught.value)
    assert "3 attempt(s)" in str(caught.value)
    assert len(calls) == 3
    assert sleeps == [2.0, 4.0]
    assert_no_outputs(outputs)


def test_reviews_silent_server_times_out(tmp_path, kaggle_env, sleeps):
    kaggle_env.setenv("KAGGLE_API_TOKEN", FAKE_KEY)
    outputs = review_outputs(tmp_path)

    with stubserver.silent_listener() as port:
        # Like kagglesdk, the fake client passes no timeout to requests.
        install_fake_kaggle(kaggle_env, lambda c, f: requests.get(f"http://127.0.0.1:{port}/"))
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            sources.fetch_amazon_reviews(**outputs, competition=COMPETITION, timeout_s=1.0, retries=1)
        elapsed = time.monotonic() - started

    assert elapsed < 6.0, f"took {elapsed:.1f} s with a 1 s timeout and 2 attempts"
    assert "Read timed out" in str(caught.value) or "timed out" in str(caught.value)
    assert_no_outputs(outputs)


def test_requests_timeout_restores_adapter():
    from requests.adapters import HTTPAdapter

    original = HTTPAdapter.send
    with sources.requests_timeout(1.0):
        assert HTTPAdapter.send is not original
    assert HTTPAdapter.send is original


def test_reviews_fake_key_never_in_error_or_log(tmp_path, kaggle_env, sleeps, caplog):
    kaggle_env.setenv("KAGGLE_USERNAME", "someone")
    kaggle_env.setenv("KAGGLE_KEY", FAKE_KEY)

    def leaky_download(competition, folder):
        raise OSError(f"proxy rejected basic auth someone:{FAKE_KEY}")

    install_fake_kaggle(kaggle_env, leaky_download)
    script = runpy.run_path(str(REPOSITORY / "scripts" / "fetch_amazon_reviews.py"), run_name="fetch_script")
    log_file = tmp_path / "fetch.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    outputs = review_outputs(tmp_path)
    try:
        with caplog.at_level(logging.INFO), pytest.raises(SourceError) as caught:
            script["main"](**outputs, competition=COMPETITION, local_copy=None, sha256={}, timeout_s=1, retries=1)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    assert FAKE_KEY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert "[redacted]" in str(caught.value)
    assert FAKE_KEY not in caplog.text
    log_text = log_file.read_text()
    assert "Kaggle download of the Amazon reviews" in log_text
    assert FAKE_KEY not in log_text
    assert_no_outputs(outputs)


# ------------------------------------------------------------------------------- scripts


def test_credit_script_main_writes_outputs(tmp_path):
    source = fakedata.write_credit_csv(tmp_path / "credit.csv", n_rows=20)
    script = runpy.run_path(str(REPOSITORY / "scripts" / "fetch_credit_default.py"), run_name="fetch_script")
    outputs = credit_outputs(tmp_path)

    script["main"](**outputs, local_copy=str(source), sha256=None, timeout_s=5, retries=0)

    assert outputs["csv"].read_bytes() == source.read_bytes()
    assert "data.csv" in json.loads(outputs["checksums"].read_text())["files"]
