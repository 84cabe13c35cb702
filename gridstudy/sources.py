"""Fetch the two raw datasets: download them, or take a local copy, and record checksums.

Credit default: ``ucimlrepo.fetch_ucirepo(id=350)``, or a local CSV with ucimlrepo's
columns (``ID, X1..X23, Y``), or UCI's original workbook ``default of credit card
clients.xls``. Amazon reviews: the files of a Kaggle competition, downloaded with the
``kaggle`` client, or a local copy of the competition zip or of a folder with its CSVs.

Every function here writes its outputs under temporary names in the output folder and
moves them into place only after all of them are complete and their sha256 pins match,
so a failure leaves no output behind. All errors that a user can fix raise
:class:`SourceError`, whose message names the source, the dataset and the config
setting for a local copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .io import default_file_mode

logger = logging.getLogger(__name__)

CREDIT_UCI_ID = 350
CREDIT_COLUMNS = ["ID", *(f"X{i}" for i in range(1, 24)), "Y"]
CREDIT_LOCAL_COPY_SETTING = "data.credit_default.local_copy"
CREDIT_SHA256_SETTING = "data.credit_default.sha256"
REVIEWS_LOCAL_COPY_SETTING = "data.amazon_reviews.local_copy"
REVIEWS_SHA256_SETTING = "data.amazon_reviews.sha256"

# The competition files are identified by the end of their names.
REVIEW_ROLES = {
    "train": ".lrn.csv",
    "test": ".tes.csv",
    "sample_submission": ".sol.ex.csv",
}

BACKOFF_BASE_S = 2.0
# Tests replace this to skip the waits between retries.
_sleep = time.sleep

_SHA256_PATTERN = re.compile(r"^[0-9a-fA-F]{64}$")


class SourceError(RuntimeError):
    """A raw dataset could not be fetched, read or verified. The message explains the fix."""


# --------------------------------------------------------------------------- public API


def fetch_credit_default(
    csv: str | os.PathLike,
    checksums: str | os.PathLike,
    local_copy: str | os.PathLike | None = None,
    sha256: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
    retries: int = 3,
) -> dict:
    """Write the credit default data to ``csv`` (columns ID, X1..X23, Y) and its checksums.

    Without ``local_copy`` the data comes from ``ucimlrepo.fetch_ucirepo(id=350)``. A local
    CSV is copied byte for byte when its header is exactly ucimlrepo's and its values are
    plain integers. Other CSVs and the ``.xls`` workbook are converted. ``sha256`` maps file
    names (``data.csv`` or the local copy's base name) to expected hex digests.
    Returns the record written to ``checksums``.
    """
    _check_network_arguments(timeout_s, retries)
    pins = _check_pins_format(sha256, CREDIT_SHA256_SETTING)
    csv = Path(csv)
    checksums = Path(checksums)

    with _staged_outputs({"csv": csv, "checksums": checksums}) as staged:
        if local_copy is None:
            frame = _download_credit_frame(timeout_s, retries)
            _write_credit_csv(frame, staged["csv"])
            source = {"kind": "download", "path": f"ucimlrepo:fetch_ucirepo(id={CREDIT_UCI_ID})"}
        else:
            source = _copy_credit_local(Path(local_copy), staged["csv"])

        files = {csv.name: sha256_file(staged["csv"])}
        actual = dict(files)
        if source.get("sha256"):
            actual[Path(source["path"]).name] = source["sha256"]
        _verify_pins(pins, actual, CREDIT_SHA256_SETTING)

        record = {"dataset": "credit_default", "files": files, "source": source}
        _write_json(record, staged["checksums"])
    logger.info("Wrote %s (sha256 %s)", csv, files[csv.name])
    return record


def fetch_amazon_reviews(
    train: str | os.PathLike,
    test: str | os.PathLike,
    sample_submission: str | os.PathLike,
    checksums: str | os.PathLike,
    competition: str,
    local_copy: str | os.PathLike | None = None,
    sha256: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
    retries: int = 3,
) -> dict:
    """Write the competition's training, test and sample-solution CSVs and their checksums.

    Without ``local_copy`` the ``kaggle`` client downloads the files of ``competition``.
    A local copy is the competition zip or a folder of its CSVs. The three CSVs are
    copied byte for byte. ``sha256`` maps file names (``train.csv``, a member such as
    ``amazon_review_ID.shuf.lrn.csv``, or the zip's base name) to expected hex digests.
    Returns the record written to ``checksums``.
    """
    _check_network_arguments(timeout_s, retries)
    pins = _check_pins_format(sha256, REVIEWS_SHA256_SETTING)
    outputs = {"train": Path(train), "test": Path(test), "sample_submission": Path(sample_submission)}
    checksums = Path(checksums)

    with _staged_outputs({**outputs, "checksums": checksums}) as staged:
        if local_copy is None:
            with _temporary_folder(outputs["train"].parent, ".kaggle-download-") as folder:
                _download_competition(competition, folder, timeout_s, retries)
                source = {"kind": "download", "path": f"kaggle:competitions/{competition}"}
                downloaded = sorted(path for path in folder.iterdir() if path.is_file())
                if len(downloaded) == 1:
                    source["sha256"] = sha256_file(downloaded[0])
                    source["file"] = downloaded[0].name
                members = _extract_reviews(folder, staged, source_label=f"Kaggle download of '{competition}'")
        else:
            local_copy = Path(local_copy)
            if not local_copy.exists():
                raise SourceError(
                    f"Local copy of the Amazon reviews not found: '{local_copy}'. Set "
                    f"{REVIEWS_LOCAL_COPY_SETTING} to the competition zip or a folder of its CSVs."
                )
            source = {"kind": "local_copy", "path": str(local_copy)}
            if local_copy.is_file():
                source["sha256"] = sha256_file(local_copy)
            logger.info("Using the local copy '%s'", local_copy)
            members = _extract_reviews(local_copy, staged, source_label=f"local copy '{local_copy}'")
        source["members"] = {member.name: digest for member, digest in members.values()}

        files = {outputs[role].name: sha256_file(staged[role]) for role in outputs}
        actual = {**source["members"], **files}
        if "sha256" in source:
            actual[source.get("file") or Path(source["path"]).name] = source["sha256"]
        _verify_pins(pins, actual, REVIEWS_SHA256_SETTING)

        record = {"dataset": "amazon_reviews", "competition": competition, "files": files, "source": source}
        _write_json(record, staged["checksums"])
    logger.info("Wrote %s", ", ".join(f"{outputs[role]} (sha256 {files[outputs[role].name]})" for role in outputs))
    return record


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def socket_timeout(seconds: float) -> Iterator[None]:
    """Set the default timeout of new sockets (for urllib without a timeout), then restore it."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


@contextlib.contextmanager
def requests_timeout(seconds: float) -> Iterator[None]:
    """Bound every ``requests`` call made inside the block to ``seconds`` per connect and read.

    The kaggle 2.2.5 client sends its API requests (through kagglesdk) without a timeout,
    and it retries stalled chunk reads with a 300 s timeout each. Both go through ``HTTPAdapter.send``, which this
    context manager wraps so that a missing or longer timeout becomes ``seconds``.
    """
    from requests.adapters import HTTPAdapter

    original_send = HTTPAdapter.send

    def send_with_timeout(self, request, *args, timeout=None, **kwargs):
        if timeout is None or isinstance(timeout, (int, float)) and timeout > seconds:
            timeout = seconds
        elif isinstance(timeout, tuple):
            timeout = tuple(seconds if part is None else min(part, seconds) for part in timeout)
        return original_send(self, request, *args, timeout=timeout, **kwargs)

    HTTPAdapter.send = send_with_timeout
    try:
        yield
    finally:
        HTTPAdapter.send = original_send


# ------------------------------------------------------------------ outputs and checksums


@contextlib.contextmanager
def _staged_outputs(targets: Mapping[str, Path]) -> Iterator[dict[str, Path]]:
    """Yield temporary paths next to ``targets``, and move them into place only if the block succeeds."""
    staged: dict[str, Path] = {}
    try:
        for key, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(handle)
            staged[key] = Path(name)
        yield staged
        mode = default_file_mode()
        for key, target in targets.items():
            os.chmod(staged[key], mode)
            os.replace(staged.pop(key), target)
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _temporary_folder(parent: Path, prefix: str) -> Iterator[Path]:
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_json(record: dict, path: Path) -> None:
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def _check_pins_format(pins: Mapping[str, str] | None, setting: str) -> dict[str, str]:
    pins = dict(pins or {})
    for name, expected in pins.items():
        if not isinstance(expected, str) or not _SHA256_PATTERN.match(expected):
            raise SourceError(
                f"Invalid sha256 pin for '{name}' in {setting}: {expected!r}. "
                "Give the 64 hexadecimal digits that `sha256sum FILE` outputs."
            )
    return {name: expected.lower() for name, expected in pins.items()}


def _verify_pins(pins: Mapping[str, str], actual: Mapping[str, str], setting: str) -> None:
    """Raise unless every pinned file name is known and its digest matches."""
    for name, expected in pins.items():
        if name not in actual:
            raise SourceError(
                f"The sha256 pin for '{name}' in {setting} matches no file of this run; "
                f"pinnable names are {', '.join(sorted(actual))}. Fix the name or remove the pin."
            )
        if actual[name] != expected:
            raise SourceError(
                f"sha256 mismatch for '{name}': expected {expected}, got {actual[name]}. "
                f"The file differs from the pinned one: check the source, or update the pin in {setting}."
            )


def _check_network_arguments(timeout_s: float, retries: int) -> None:
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a non-negative integer, got {retries!r}")


def _describe(error: BaseException) -> str:
    """Return "Type: message", plus the underlying error that a library re-raised without it."""
    text = f"{type(error).__name__}: {error}"
    underlying = error.__cause__ or error.__context__
    if underlying is not None and str(underlying) not in text:
        text += f" ({type(underlying).__name__}: {underlying})"
    return text


def _with_retries(action: Callable[[], object], what: str, retries: int, is_retryable, redact=_describe):
    """Call ``action`` up to ``retries + 1`` times with exponential backoff between tries.

    Errors for which ``is_retryable`` is false, and the last error, propagate unchanged.
    """
    for attempt in range(retries + 1):
        try:
            return action()
        except Exception as error:
            if attempt == retries or not is_retryable(error):
                raise
            delay = BACKOFF_BASE_S * 2**attempt
            logger.warning(
                "%s failed (attempt %d of %d): %s; retrying in %.0f s",
                what, attempt + 1, retries + 1, redact(error), delay,
            )
            _sleep(delay)
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------ credit default


def _download_credit_frame(timeout_s: float, retries: int) -> pd.DataFrame:
    """Return ucimlrepo's ids, features and targets of dataset 350 as one frame."""
    import ucimlrepo

    retryable = (OSError, http.client.HTTPException, getattr(ucimlrepo, "DatasetNotFoundError", OSError))

    def fetch():
        # ucimlrepo 0.0.7 calls urllib.request.urlopen and pandas.read_csv(url) without a
        # timeout; both honour the default timeout of new sockets.
        with socket_timeout(timeout_s):
            return ucimlrepo.fetch_ucirepo(id=CREDIT_UCI_ID)

    what = f"UCI download of the credit default data (dataset {CREDIT_UCI_ID})"
    logger.info("Downloading the credit default data: ucimlrepo.fetch_ucirepo(id=%d)", CREDIT_UCI_ID)
    try:
        result = _with_retries(fetch, what, retries, lambda error: isinstance(error, retryable))
    except Exception as error:
        raise SourceError(
            f"{what} failed after {retries + 1} attempt(s) with a {timeout_s:g} s timeout: "
            f"{_describe(error)}. Check the network and proxy settings, or set "
            f"{CREDIT_LOCAL_COPY_SETTING} to a CSV with ucimlrepo's columns (ID, X1..X23, Y) or "
            "to UCI's workbook 'default of credit card clients.xls'."
        ) from error

    data = result.data
    parts = [data.ids, data.features, data.targets]
    if any(part is None for part in parts):
        raise SourceError(
            f"{what} returned no ids, features or targets; set {CREDIT_LOCAL_COPY_SETTING} to a local copy."
        )
    frame = pd.concat([part.reset_index(drop=True) for part in parts], axis=1)
    return _validate_credit_frame(frame, f"UCI dataset {CREDIT_UCI_ID}")


def _copy_credit_local(local_copy: Path, target: Path) -> dict:
    """Validate a local CSV or workbook, write it to ``target`` and return the source record."""
    if not local_copy.exists():
        raise SourceError(
            f"Local copy of the credit default data not found: '{local_copy}'. Set "
            f"{CREDIT_LOCAL_COPY_SETTING} to a CSV with columns ID, X1..X23, Y or to "
            "'default of credit card clients.xls'."
        )
    if local_copy.is_dir():
        candidates = sorted(p.name for p in local_copy.iterdir() if p.suffix.lower() in (".csv", ".xls", ".xlsx"))
        raise SourceError(
            f"{CREDIT_LOCAL_COPY_SETTING} names the folder '{local_copy}'; name one file instead "
            f"(CSV or XLS files there: {', '.join(candidates) or 'none'})."
        )

    source = {"kind": "local_copy", "path": str(local_copy), "sha256": sha256_file(local_copy)}
    logger.info("Using the local copy '%s' (sha256 %s)", local_copy, source["sha256"])
    suffix = local_copy.suffix.lower()
    if suffix in (".xls", ".xlsx"):
        frame = _read_credit_workbook(local_copy)
        _write_credit_csv(frame, target)
        source["converted"] = True
    elif suffix == ".csv":
        source["converted"] = _copy_credit_csv(local_copy, target)
    else:
        raise SourceError(
            f"Unsupported local copy '{local_copy}' in {CREDIT_LOCAL_COPY_SETTING}: "
            "expected a .csv with columns ID, X1..X23, Y or UCI's .xls workbook."
        )
    return source


def _copy_credit_csv(local_copy: Path, target: Path) -> bool:
    """Copy a valid CSV verbatim or write it normalised, and return whether it was converted."""
    try:
        # Only an empty cell is missing: "n/a", "NA" or "null" stay text, so an error quotes them.
        frame = pd.read_csv(local_copy, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except (ValueError, UnicodeDecodeError) as error:
        raise SourceError(f"Cannot read the credit CSV '{local_copy}': {error}") from error
    validated = _validate_credit_frame(frame, f"'{local_copy}'")

    with open(local_copy, "rb") as handle:
        header = handle.readline().rstrip(b"\r\n")
    exact_header = header == ",".join(CREDIT_COLUMNS).encode()
    plain_integers = all(pd.api.types.is_integer_dtype(frame[name]) for name in CREDIT_COLUMNS)
    if exact_header and plain_integers:
        shutil.copyfile(local_copy, target)
        return False
    logger.info("Rewriting '%s' with ucimlrepo's header and plain integers", local_copy)
    _write_credit_csv(validated, target)
    return True


def _read_credit_workbook(path: Path) -> pd.DataFrame:
    """Read UCI's workbook, whose row 1 contains X1..X23, Y (A1 empty) and row 2 the descriptive names."""
    engine = "xlrd" if path.suffix.lower() == ".xls" else None
    try:
        with warnings.catch_warnings():
            # pandas 3 deprecates its xlrd engine, the only one installed for BIFF .xls files.
            warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated.*")
            frame = pd.read_excel(path, header=0, engine=engine, keep_default_na=False, na_values=[""])
    except ImportError as error:
        raise SourceError(f"Cannot read the workbook '{path}': {error}. Install xlrd, or use a CSV copy.") from error
    except ValueError as error:
        raise SourceError(f"Cannot read the workbook '{path}': {error}") from error

    first = frame.columns[0]
    if str(first).startswith("Unnamed") or str(first).strip() == "":
        frame = frame.rename(columns={first: "ID"})
    # Row 2 of the workbook (ID, LIMIT_BAL, ..., default payment next month) becomes data row 0.
    if len(frame) and str(frame.iloc[0, 0]).strip() == "ID":
        frame = frame.iloc[1:].reset_index(drop=True)
    return _validate_credit_frame(frame, f"'{path}'")


def _validate_credit_frame(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Return the 25 credit columns as int64, or raise naming the bad column and value."""
    frame = frame.rename(columns=lambda name: str(name).strip())
    expected = "the credit data needs the columns ID, X1..X23, Y that ucimlrepo.fetch_ucirepo(id=350) returns"
    missing = [name for name in CREDIT_COLUMNS if name not in frame.columns]
    if missing:
        raise SourceError(f"{origin}: missing column(s) {', '.join(missing)}; {expected}.")
    extra = [name for name in frame.columns if name not in CREDIT_COLUMNS]
    if extra:
        raise SourceError(
            f"{origin}: unexpected column(s) {', '.join(map(repr, extra))}; {expected} and nothing else "
            "(a leftover index column?)."
        )
    if frame.columns.duplicated().any():
        duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise SourceError(f"{origin}: duplicated column(s) {', '.join(duplicated)}; {expected}.")
    if frame.empty:
        raise SourceError(f"{origin}: no data rows.")

    columns = {}
    for name in CREDIT_COLUMNS:
        values = frame[name]
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        bad = numbers.isna().to_numpy() | ~(numbers.to_numpy() % 1 == 0)
        if bad.any():
            position = int(bad.argmax())
            example = values.iloc[position]
            shown = "an empty cell" if pd.isna(example) else repr(example)
            raise SourceError(
                f"{origin}: column {name} contains {shown} in data row {position + 1}, but every value "
                f"must be an integer ({int(bad.sum())} such row(s)); fix or remove those rows."
            )
        columns[name] = numbers.astype("int64")
    return pd.DataFrame(columns)


def _write_credit_csv(frame: pd.DataFrame, path: Path) -> None:
    frame[CREDIT_COLUMNS].astype("int64").to_csv(path, index=False, lineterminator="\n")


# ------------------------------------------------------------------------ amazon reviews


@dataclass(frozen=True)
class _Member:
    """A file found in a local copy or download: its label in messages and a reader of its bytes."""

    label: str
    name: str
    read: Callable[[], bytes]


def _extract_reviews(source: Path, staged: Mapping[str, Path], source_label: str) -> dict:
    """Write the three competition CSVs found in ``source`` to the staged paths.

    Returns {role: (member, sha256)} for the members used.
    """
    members, contents = _collect_members(source)
    chosen = {}
    for role, ending in REVIEW_ROLES.items():
        matches = [member for member in members if member.name.lower().endswith(ending)]
        if not matches:
            raise SourceError(
                f"The {source_label} contains no '*{ending}' file ({_role_title(role)}). It contains: "
                f"{', '.join(contents) or 'nothing'}. Use the competition zip, or set "
                f"{REVIEWS_LOCAL_COPY_SETTING} to a folder holding the competition's CSVs."
            )
        data = {member: member.read() for member in matches}
        digests = {member: hashlib.sha256(content).hexdigest() for member, content in data.items()}
        if len(set(digests.values())) > 1:
            raise SourceError(
                f"The {source_label} contains several different '*{ending}' files: "
                f"{', '.join(member.label for member in matches)}. Keep only one."
            )
        member = matches[0]
        staged[role].write_bytes(data[member])
        chosen[role] = (member, digests[member])
        logger.info("Extracted %s as %s", member.label, role)
    return chosen


def _role_title(role: str) -> str:
    return {"train": "training file", "test": "test file", "sample_submission": "sample solution"}[role]


def _collect_members(source: Path) -> tuple[list[_Member], list[str]]:
    """Return the files in a zip, a folder or a single file, and the labels of everything found.

    Zips inside the source (such as one zip per CSV) are opened one level deep. ``__MACOSX`` entries and AppleDouble ``._*`` files are skipped.
    """
    members: list[_Member] = []
    contents: list[str] = []
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            label = path.relative_to(source).as_posix()
            if not path.is_file() or _is_ignored(label):
                continue
            if path.suffix.lower() == ".zip":
                _collect_zip(path.read_bytes(), label, members, contents, depth=0)
            else:
                contents.append(label)
                members.append(_Member(label, path.name, path.read_bytes))
    elif source.suffix.lower() == ".zip" or zipfile.is_zipfile(source):
        _collect_zip(source.read_bytes(), source.name, members, contents, depth=0)
    else:
        contents.append(source.name)
        members.append(_Member(source.name, source.name, source.read_bytes))
    return members, contents


def _collect_zip(data: bytes, label: str, members: list[_Member], contents: list[str], depth: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise SourceError(f"'{label}' is not a valid zip archive ({error}); download the competition zip again.") from error
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        for info in infos:
            _check_member_path(info.filename, label)
        for info in infos:
            if _is_ignored(info.filename):
                continue
            member_label = f"{label}!{info.filename}"
            name = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if name.lower().endswith(".zip") and depth == 0:
                _collect_zip(archive.read(info), member_label, members, contents, depth + 1)
            else:
                contents.append(member_label)
                members.append(_Member(member_label, name, _zip_member_reader(data, info.filename)))


def _zip_member_reader(data: bytes, filename: str) -> Callable[[], bytes]:
    def read() -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(filename)

    return read


def _check_member_path(name: str, archive_label: str) -> None:
    """Reject a member whose path is absolute or climbs out of the extraction folder."""
    normalized = name.replace("\\", "/")
    absolute = normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized) is not None
    if absolute or ".." in normalized.split("/"):
        raise SourceError(
            f"Unsafe member '{name}' in '{archive_label}': its path is absolute or contains '..', so "
            "it would land outside the target folder. The archive was rejected; use the zip that "
            "Kaggle serves for the competition."
        )


def _is_ignored(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return "__MACOSX" in parts or parts[-1].startswith("._") or parts[-1] == ".DS_Store"


# ------------------------------------------------------------------------ kaggle download

_CREDENTIAL_HELP = (
    "Provide Kaggle credentials in one of these ways: set KAGGLE_API_TOKEN to an API token from "
    "https://www.kaggle.com/settings/api; or set KAGGLE_USERNAME and KAGGLE_KEY; or save kaggle.json "
    '({"username": ..., "key": ...}) in ~/.kaggle/ or in the folder named by KAGGLE_CONFIG_DIR; '
    "or save the token to ~/.kaggle/access_token; or run `kaggle auth login`."
)


def _local_copy_hint(competition: str) -> str:
    return (
        f"Or set {REVIEWS_LOCAL_COPY_SETTING} to the competition zip ({competition}.zip) "
        "or to a folder holding its CSVs."
    )


def _kaggle_config_dirs() -> list[Path]:
    home = Path.home()
    folders = [home / ".kaggle", Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "kaggle"]
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        folders.insert(0, Path(os.environ["KAGGLE_CONFIG_DIR"]))
    return folders


def _kaggle_credential_sources() -> list[str]:
    """Return the places that contain Kaggle credentials, without reading the secrets."""
    found = []
    if os.environ.get("KAGGLE_API_TOKEN"):
        found.append("KAGGLE_API_TOKEN")
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        found.append("KAGGLE_USERNAME and KAGGLE_KEY")
    for folder in _kaggle_config_dirs():
        for name in ("kaggle.json", "access_token", "access_token.txt", "credentials.json"):
            if (folder / name).is_file():
                found.append(str(folder / name))
    return found


def _kaggle_secrets() -> list[str]:
    """Return the credential values this process could use, so messages can redact them."""
    secrets = [os.environ.get(name, "") for name in ("KAGGLE_KEY", "KAGGLE_API_TOKEN")]
    for folder in _kaggle_config_dirs():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            secrets.append(str(json.loads((folder / "kaggle.json").read_text()).get("key", "")))
        for name in ("access_token", "access_token.txt"):
            with contextlib.suppress(OSError):
                secrets.append((folder / name).read_text().strip())
    return [secret for secret in secrets if len(secret) >= 4]


def _redact(error: object) -> str:
    """Describe an error or text with every known Kaggle credential replaced by [redacted]."""
    text = _describe(error) if isinstance(error, BaseException) else str(error)
    for secret in _kaggle_secrets():
        text = text.replace(secret, "[redacted]")
    return text


def _http_status(error: BaseException) -> int | None:
    """Return the HTTP status of a requests HTTPError or a kaggle 1.x ApiException."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status is None:
        status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def _authenticated_kaggle_api(competition: str, timeout_s: float):
    """Import the kaggle client and authenticate it; raise one SourceError if that fails."""
    def credentials_message(state: str) -> str:
        return (
            f"Kaggle credentials are {state}, so the Amazon reviews (Kaggle competition "
            f"'{competition}') cannot be downloaded. {_CREDENTIAL_HELP} {_local_copy_hint(competition)}"
        )

    if not _kaggle_credential_sources():
        raise SourceError(credentials_message("missing"))

    # The client authenticates when imported and prints help when that fails: keep its
    # output out of our stdout. kaggle 1.x raises OSError here, 2.x calls exit(1).
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), requests_timeout(timeout_s):
            import kaggle

            api = kaggle.KaggleApi()
            api.authenticate()
    except ImportError as error:
        # kaggle 2.2.5 imports six without declaring it, so the missing module
        # is not always kaggle itself.
        missing = getattr(error, "name", None) or "kaggle"
        raise SourceError(
            f"The kaggle package cannot be imported ({_redact(error)}); install the missing "
            f"module with `pip install {missing}`. {_local_copy_hint(competition)}"
        ) from None
    except (Exception, SystemExit) as error:
        message = credentials_message("missing or invalid")
        raise SourceError(f"{message} The kaggle client reported: {_redact(error)}") from None
    return api


def _download_competition(competition: str, folder: Path, timeout_s: float, retries: int) -> None:
    """Download the competition's files into ``folder`` with the kaggle client."""
    api = _authenticated_kaggle_api(competition, timeout_s)
    what = f"Kaggle download of the Amazon reviews (competition '{competition}')"

    def download():
        for path in folder.iterdir():  # A failed try may leave a partial file behind.
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        with contextlib.redirect_stdout(io.StringIO()), requests_timeout(timeout_s):
            api.competition_download_files(competition, path=str(folder), quiet=True)

    def is_retryable(error: BaseException) -> bool:
        status = _http_status(error)
        if status is not None:
            return status >= 500 or status == 429
        return isinstance(error, (OSError, http.client.HTTPException))

    logger.info("Downloading the Kaggle competition files of '%s'", competition)
    try:
        _with_retries(download, what, retries, is_retryable, redact=_redact)
    except Exception as error:
        status = _http_status(error)
        if status == 401:
            message = (
                f"{what} failed: Kaggle rejected the credentials (HTTP 401), so they are invalid or "
                f"expired. Create a new API token at https://www.kaggle.com/settings/api. "
                f"{_CREDENTIAL_HELP} {_local_copy_hint(competition)}"
            )
        elif status == 403:
            message = (
                f"{what} failed with HTTP 403: accept the competition's rules at "
                f"https://www.kaggle.com/competitions/{competition}/rules first, signed in as the "
                f"account whose credentials you use. {_local_copy_hint(competition)}"
            )
        elif status == 404:
            message = (
                f"{what} failed with HTTP 404: competition '{competition}' not found; check its name. "
                f"{_local_copy_hint(competition)}"
            )
        else:
            message = (
                f"{what} failed after {retries + 1} attempt(s) with a {timeout_s:g} s timeout: "
                f"{_redact(error)}. Check the network and proxy settings. {_local_copy_hint(competition)}"
            )
        # `from None`: the client's own exception text may quote credentials.
        raise SourceError(message) from None
