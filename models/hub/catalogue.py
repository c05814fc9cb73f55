"""The installed models: ``catalogue.json`` in the models folder, and which one each role uses.

One small JSON file (name -> family, files, source, size, sha256) plus ``in_use`` (role ->
name) for the ``actor`` and the ``critic``. Every change is written whole and atomically (temp
file, fsync, rename), so a crash never leaves half a catalogue. Files inside the models folder
are stored relative to it, so moving ``DESKHAND_HOME`` keeps the catalogue valid.

Training needs the same model in Hugging Face format: ``hf`` is that *local folder* (set only
once every file of it is there), ``hf_repo`` the hub repository it can be downloaded from.
Version 1 catalogues kept a repo id in ``hf``; loading one moves it to ``hf_repo``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from models.hub.registry import FAMILIES

CATALOGUE_FILE = "catalogue.json"
ROLES: tuple[str, ...] = ("actor", "critic")
Source = Literal["downloaded", "local", "tiny", "demo"]
SOURCES: tuple[str, ...] = ("downloaded", "local", "tiny", "demo")
VERSION = 2


class CatalogueError(ValueError):
    """A catalogue operation that cannot be done (unknown name, duplicate, bad file)."""


@dataclass(frozen=True)
class InstalledModel:
    name: str
    family: str
    gguf: Path
    mmproj: Path
    source: Source
    size: int  # bytes of gguf + mmproj
    sha256: str  # of the text GGUF: the model's identity in episodes and training runs
    mmproj_sha256: str = ""
    hf: Path | None = None  # the same model in HF format (a complete local folder), to train
    note: str = ""
    hf_repo: str | None = None  # where the HF weights can be downloaded from

    @property
    def trainable(self) -> bool:
        """Whether the HF weights training needs are all on disk."""
        from models.hub.hf_files import missing_weights

        return self.hf is not None and self.hf.is_dir() and missing_weights(self.hf) is None

    def to_json(self, root: Path) -> dict[str, Any]:
        data = asdict(self)
        data["gguf"], data["mmproj"] = _rel(self.gguf, root), _rel(self.mmproj, root)
        data["hf"] = None if self.hf is None else _rel(self.hf, root)
        del data["name"]
        return data

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any], root: Path,
                  version: int = VERSION) -> InstalledModel:
        data = dict(data)
        if version < 2 and isinstance(data.get("hf"), str):
            data.update(_v1_hf(data["hf"], root))
            if lost := data.pop("hf_note", None):
                data["note"] = "; ".join(filter(None, (data.get("note"), lost)))
        try:
            hf = data.get("hf")
            model = cls(name=name, **{**data, "gguf": root / data["gguf"],
                                      "mmproj": root / data["mmproj"],
                                      "hf": None if hf is None else root / hf})
        except (TypeError, KeyError) as exc:
            raise CatalogueError(f"catalogue entry {name!r} is malformed ({exc})") from None
        if model.family not in FAMILIES or model.source not in SOURCES:
            raise CatalogueError(f"catalogue entry {name!r} has an unknown family or source")
        return model


def _v1_hf(hf: str, root: Path) -> dict[str, str | None]:
    """A version-1 ``hf`` value, which was a folder (absolute, relative to the models folder or
    to where ``models add`` ran) or a hub repo id; a folder gone since is said in ``hf_note``.

    >>> _v1_hf("Qwen/Qwen2.5-VL-3B-Instruct", Path("/nonexistent"))
    {'hf': None, 'hf_repo': 'Qwen/Qwen2.5-VL-3B-Instruct'}
    >>> _v1_hf("./gone/folder", Path("/nonexistent"))["hf_note"]
    'training weights were given as ./gone/folder, which no longer exists'
    """
    from models.hub.hf_folder import is_repo_id

    folder = Path(hf).expanduser()
    for candidate in ((folder,) if folder.is_absolute() else (root / folder, folder.absolute())):
        if candidate.is_dir():
            return {"hf": str(candidate)}
    if is_repo_id(hf):
        return {"hf": None, "hf_repo": hf}
    return {"hf": None, "hf_note": f"training weights were given as {hf}, which no longer "
                                   "exists"}


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it, else absolute (``root / abs`` == abs)."""
    path = path.absolute()
    try:
        return path.relative_to(root.absolute()).as_posix()
    except ValueError:
        return str(path)


class Catalogue:
    """Load with ``Catalogue.load(models_dir)``; every mutating method saves at once."""

    def __init__(self, models_dir: Path, models: dict[str, InstalledModel],
                 in_use: dict[str, str]) -> None:
        self.models_dir = models_dir
        self.models = models
        self.in_use = in_use

    @property
    def path(self) -> Path:
        return self.models_dir / CATALOGUE_FILE

    @classmethod
    def load(cls, models_dir: Path) -> Catalogue:
        path = models_dir / CATALOGUE_FILE
        if not path.exists():
            return cls(models_dir, {}, {})
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entries, in_use = raw["models"], raw.get("in_use", {})
            version = int(raw.get("version", 1))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CatalogueError(f"{path} is unreadable ({exc}); fix or delete it") from None
        if version > VERSION:
            raise CatalogueError(f"{path} was written by a newer Deskhand (version {version}); "
                                 "update Deskhand")
        models = {name: InstalledModel.from_json(name, data, models_dir, version)
                  for name, data in entries.items()}
        return cls(models_dir, models, {r: n for r, n in in_use.items() if n in models})

    def save(self) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        data = {"version": VERSION, "in_use": self.in_use,
                "models": {n: m.to_json(self.models_dir) for n, m in sorted(self.models.items())}}
        fd, tmp = tempfile.mkstemp(prefix=".catalogue-", suffix=".tmp", dir=self.models_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get(self, name: str) -> InstalledModel:
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none yet"
            raise CatalogueError(f"no installed model called {name!r} (installed: {known})") \
                from None

    def add(self, model: InstalledModel, *, replace_existing: bool = False) -> None:
        """Add ``model``; the first model added becomes the actor."""
        if model.name in self.models and not replace_existing:
            raise CatalogueError(f"a model called {model.name!r} is already installed; "
                                 "pick another --name or remove it first")
        self.models[model.name] = model
        self.in_use.setdefault("actor", model.name)
        self.save()

    def replace(self, model: InstalledModel) -> None:
        """Save a changed entry of an installed model (e.g. its training weights arrived)."""
        self.get(model.name)
        self.models[model.name] = model
        self.save()

    def use(self, name: str, role: str = "actor") -> None:
        if role not in ROLES:
            raise CatalogueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        self.get(name)
        self.in_use[role] = name
        self.save()

    def remove(self, name: str) -> InstalledModel:
        """Forget ``name`` (the caller decides about its files); roles using it become unset."""
        model = self.get(name)
        del self.models[name]
        self.in_use = {r: n for r, n in self.in_use.items() if n != name}
        self.save()
        return model

    def roles_of(self, name: str) -> list[str]:
        return [role for role in ROLES if self.in_use.get(role) == name]

    def model_for(self, role: str) -> InstalledModel | None:
        """The model a role runs; the critic falls back to the actor's model when unset."""
        name = self.in_use.get(role) or (self.in_use.get("actor") if role == "critic" else None)
        return self.models.get(name) if name else None
