"""Run records (what ``runs/<hash>.json`` holds): sealing with a checksum and checking them.

A record is sealed with a ``checksum``: SHA-256 of the canonical JSON (sorted keys, no spaces)
of the record without its checksum (:func:`seal_record`).  :func:`record_problem` says why a
stored record cannot be used (unparsable, wrong checksum, wrong hash/settings/kind for its
file, missing fields), or None.
"""

from __future__ import annotations

import hashlib

from .runs import RECORD_FORMAT
from .tables import rows_of


def _canonical(obj) -> str:
    import json

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def record_checksum(rec: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of ``rec`` without its "checksum" field."""
    body = {k: v for k, v in rec.items() if k != "checksum"}
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def seal_record(rec: dict) -> tuple:
    """(sealed record, its file text): the record as strict JSON values (NaN/inf -> null) with
    its checksum, and the canonical JSON that is written (the checksum covers exactly it)."""
    from harmonics._infra.jsonio import to_json_value

    body = to_json_value({k: v for k, v in rec.items() if k != "checksum"})
    text = _canonical(body)
    body["checksum"] = hashlib.sha256(text.encode()).hexdigest()
    return body, _canonical(body) + "\n"


_STATUSES = ("ok", "error")


def record_problem(rec, kind: str, run_hash: str, settings: dict, learned: float = 0.1):
    """Why the stored record ``rec`` (parsed JSON) of the run (kind, run_hash, settings) cannot
    be used, or None if it can: wrong format, no or wrong checksum (a changed byte), another
    run's hash, settings or kind, a status other than ok/error, or missing fields (tried by
    building its table rows)."""
    if not isinstance(rec, dict):
        return f"not a JSON object ({type(rec).__name__})"
    if rec.get("format") != RECORD_FORMAT:
        return f"record format {rec.get('format')!r}, expected {RECORD_FORMAT}"
    if "checksum" not in rec:
        return "no checksum"
    try:
        if rec["checksum"] != record_checksum(rec):
            return "checksum mismatch (the file was changed after it was written)"
    except (TypeError, ValueError) as exc:
        return f"not canonical JSON ({type(exc).__name__})"
    if rec.get("hash") != run_hash:
        return f"hash {str(rec.get('hash'))[:40]!r} does not match its file name"
    if rec.get("kind") != kind:
        return f"kind {str(rec.get('kind'))[:40]!r}, the sweep is {kind!r}"
    if rec.get("settings") != settings:
        return "settings differ from the run's (not this run's record)"
    status = rec.get("status")
    if status not in _STATUSES:
        if "status" not in rec:
            return "no status"
        return f"status {str(status)[:40]!r}, expected 'ok' or 'error'"
    if status == "ok" and not isinstance(rec.get("result"), dict):
        return f"status 'ok' without a result ({type(rec.get('result')).__name__})"
    if status == "error" and not isinstance(rec.get("error"), str):
        return "status 'error' without an error message"
    try:
        rows_of(rec, learned)
    except Exception as exc:  # a field missing or of the wrong type
        return f"incomplete result ({type(exc).__name__}: {str(exc)[:80]})"
    return None
