"""Redaction fails closed: a canary of each secret class is planted in *every* field the store
has (every text column, inside every JSON column — keys, nested values, typed text, ask_user
answers, takeover typing —, actions, corrections, judgments, comments) and none survives in
any export format with redaction on. Without redaction each canary is in the export, so the
planting is real; the list of fields comes from the schema, so a new column is covered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text

from agent.store.export import FORMATS, export
from agent.store.redact import ExportConfig, redact_text, redactor
from agent.store.repo import Store
from agent.store.schema import Episode, Judgment, Step
from models.actions import AskUser, Shell, Type
from tests.fixtures.store import make_screenshot

# (class, planted text, what must not be in any export)
CANARIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("AWS access key", "key AKIAQ3CANARY7XK2P9ZB here", ("AKIAQ3CANARY7XK2P9ZB", "Q3CANARY7XK2")),
    ("AWS secret key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY",
     ("wJalrXUtnFEMI", "bPxRfiCYCANARYKEY")),
    ("OpenAI project key", "use sk-proj-CaNaRy0123456789abcdefGHIJKLmnopQRST",
     ("CaNaRy0123456789abcdef",)),
    ("OpenAI key", "OPENAI_API_KEY is sk-CaNaRy9876543210zyxwvuTSRQ", ("CaNaRy9876543210",)),
    ("GitHub token", "token ghp_CaNaRy0123456789abcdefGHIJKLMNOPqr",
     ("CaNaRy0123456789abcdefGHIJ",)),
    ("GitHub PAT", "github_pat_11CANARY0_abcdefghijklmnopqrstuvwxyz0123", ("11CANARY0_abcdef",)),
    ("Slack token", "slack xoxb-1234567890-0987654321-CaNaRyToKeNaBcDeF", ("CaNaRyToKeNaBcDeF",)),
    ("JWT", "session eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOiJ5ZXMifQ.c2lnbmF0dXJlY2FuYXJ5",
     ("eyJjYW5hcnkiOiJ5ZXMifQ", "c2lnbmF0dXJlY2FuYXJ5")),
    ("private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANCanaryKeyBody42xyz\n"
                    "-----END RSA PRIVATE KEY-----", ("MIIEvQIBADANCanaryKeyBody42xyz",)),
    ("IBAN", "pay to FR76 3000 6000 0112 3456 7890 189 today", ("3000 6000 0112 3456",)),
    ("card number", "card 4539 1488 0343 6467 exp 12/29", ("4539 1488 0343 6467",
                                                           "4539148803436467")),
    ("e-mail", "write to canary.person@example.org now", ("canary.person@example.org",)),
    ("phone", "call +33 6 12 34 56 78 tonight", ("6 12 34 56 78",)),
    ("US phone", "call (555) 867-5309 tonight", ("867-5309",)),
    ("password (en)", "the password is Canary-Hunter2! ok", ("Canary-Hunter2",)),
    ("password (fr)", "mon mot de passe : SoleilCanari42", ("SoleilCanari42",)),
    ("password (es)", "la contraseña es GatoCanario77", ("GatoCanario77",)),
    ("password (de)", "Passwort: KanarienVogel55", ("KanarienVogel55",)),
    ("password (quoted)", 'password="correct horse canary staple"', ("horse canary staple",)),
    ("bearer token", "Authorization: Bearer CanaryBearerToken0123456789",
     ("CanaryBearerToken0123456789",)),
    ("URL credentials", "open https://canaryuser:CanaryPass99@example.com/x",
     ("CanaryPass99", "canaryuser:")),
    ("SSN", "SSN 078-05-1120 on file", ("078-05-1120",)),
    ("PIN", "PIN 4829 for the card", ("4829",)),
    ("Hugging Face token", "hf_CaNaRyAbCdEfGhIjKlMnOpQrStUvWx12", ("CaNaRyAbCdEfGhIjKl",)),
]
# Closed vocabularies the store validates (a canary cannot be stored there) and storage.
VOCABULARY = {"status", "outcome", "kind", "source", "screenshot_sha256", "screenshot_format"}


def _text_columns(model: Any) -> list[str]:
    return [c.name for c in model.__table__.columns
            if isinstance(c.type, (String, Text)) and not isinstance(c.type, JSON)
            and c.name not in VOCABULARY]


def _json_columns(model: Any) -> list[str]:
    return [c.name for c in model.__table__.columns if isinstance(c.type, JSON)]


def _json_value(planted: str, column: str) -> dict[str, Any]:
    """A JSON column's content with the canary as a key, deep inside, and as the app writes
    it (an ask_user answer, a takeover's typing)."""
    return {planted: 1.0, "nested": {"deeper": [planted, {"deepest": planted}]},
            "answer": planted, "takeover": [json.dumps({"type": "type", "text": planted})],
            "card_as_number": 4539148803436467, column: planted}


def _plant(store: Store, planted: str) -> None:
    """One episode with every kind of row, every text and JSON column holding the canary."""
    def fields(model: Any, skip: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {name: planted for name in _text_columns(model) if name not in skip}
        out.update({name: _json_value(planted, name) for name in _json_columns(model)
                    if name not in skip})
        return out

    episode = store.create_episode(planted, source="import", **fields(Episode, {"task"}))
    skip = {"action", "corrected_action"}
    plain = store.add_step(episode, screenshot=make_screenshot(1), action=Type(planted),
                           **fields(Step, skip))
    store.add_judgment(kind="correct", step_id=plain, value=1.0,
                       corrected_action=Shell(planted), **fields(Judgment, skip))
    negative = store.add_step(episode, action=AskUser(planted), **fields(Step, skip))
    store.add_judgment(kind="negative", step_id=negative, value=0.0, **fields(Judgment, skip))
    store.add_judgment(kind="comment", step_id=negative, **fields(Judgment, skip))
    store.add_step(episode, outcome="parse_failed", **fields(Step, skip))
    store.add_judgment(kind="rate", episode_id=episode, value=2.0, **fields(Judgment, skip))


def _exported_text(folder: Path) -> str:
    """Every text an export wrote, decoded (Parquet read back through pyarrow)."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".jsonl", ".json"):
            parts.append(path.read_text(encoding="utf-8"))
            for line in parts[-1].splitlines() if path.suffix == ".jsonl" else []:
                parts.append(json.dumps(json.loads(line), ensure_ascii=False))
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
            for row in rows:
                row["images"] = [image["path"] for image in row["images"]]
            parts.append(json.dumps(rows, ensure_ascii=False, default=str))
        parts.append(path.name)
    return "\n".join(parts)


@pytest.mark.parametrize(("kind", "planted", "secrets"), CANARIES,
                         ids=[c[0] for c in CANARIES])
def test_no_canary_survives_any_export_format(store: Store, tmp_path: Path, kind: str,
                                              planted: str, secrets: tuple[str, ...]) -> None:
    assert redact_text(planted) != planted, f"the {kind} canary is not detected at all"
    _plant(store, planted)
    clean = redactor(ExportConfig(redact=True))
    for fmt in FORMATS:
        plain = _exported_text(export(store, tmp_path / f"plain-{fmt}", fmt).path.parent)
        assert secrets[0] in plain, f"{fmt}: the canary was not exported at all"
        text = _exported_text(export(store, tmp_path / fmt, fmt, redact=clean).path.parent)
        for secret in secrets:
            assert secret not in text, f"{kind} leaked in the {fmt} export"
        assert "[redacted]" in text


def test_every_column_of_the_store_is_planted() -> None:
    """The fields above come from the schema: a new text or JSON column is planted too."""
    planted = {(m.__tablename__, c) for m in (Episode, Step, Judgment)
               for c in _text_columns(m) + _json_columns(m)}
    every = {(m.__tablename__, c.name) for m in (Episode, Step, Judgment)
             for c in m.__table__.columns
             if isinstance(c.type, (String, Text, JSON)) and c.name not in VOCABULARY}
    assert planted == every and len(planted) >= 20


def test_redacted_exports_are_still_valid_datasets(store: Store, tmp_path: Path) -> None:
    """Masking keeps every record well formed: jsonl re-imports, messages parse."""
    from agent.store.importers import import_file

    _plant(store, "write to canary.person@example.org, the password is Hunter2")
    clean = redactor(ExportConfig(redact=True))
    summary = export(store, tmp_path / "jsonl", "jsonl", redact=clean)
    for line in (tmp_path / "jsonl" / "steps.jsonl").read_text().splitlines():
        json.loads(line)
    messages = export(store, tmp_path / "m", "messages", redact=clean)
    for line in messages.path.read_text().splitlines():
        record = json.loads(line)
        assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    store.delete_episode(store.list_episodes()[0].id)
    assert import_file(store, summary.path, "jsonl").steps == 3
