"""``deskhand models add-demo``: build the demo model here and put it in the catalogue.

The demonstrations come from :mod:`app.demo_data` (real practice windows and the solver's
answers), the model from :func:`learner.demo_model.build_demo`; the result is installed like
any other model (GGUF + projector, with its HF folder for training) and chosen for both the
actor and the critic. Built once per recipe and cached in the models folder.

The design choice a reader must know: the demo is taught the ``swatch`` and ``lamp`` exercises
for a fixed, small budget — it writes Deskhand's format and points at squares, and it is often
wrong about which one — so that the person's judgments visibly teach it; it is a model for the
practice desktop and says so in its catalogue note.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from learner.demo_model import DemoModel, DemoRecipe, build_demo, cached_demo
from learner.sft import Example
from models.hub.catalogue import Catalogue, InstalledModel
from models.hub.install import check_pair, sha256_file

DEMO_NAME = "demo"
DEMO_KINDS = ("swatch", "lamp")
DEMO_NOTE = ("a small model built on this machine for the practice desktop's swatch and lamp "
             "exercises (deskhand practice -e lamp); it cannot do other tasks")
DEMO_SEEDS = range(0, 300)  # demonstration exercises; held-out tasks use other seeds


def demonstrations(seeds: range = DEMO_SEEDS, kinds: tuple[str, ...] = DEMO_KINDS,
                   seed: int = 0) -> list[Example]:
    """Actor and critic demonstrations on ``seeds`` (rendered offscreen)."""
    from app.demo_data import actor_example, critic_examples, exercises

    rng = random.Random(seed)
    out: list[Example] = []
    for spec, image, geometry in exercises(kinds, seeds):
        out.append(actor_example(spec, image, geometry))
        if rng.random() < 0.5:  # the critic's format, on half of the screens
            out.extend(critic_examples(spec, image, geometry, rng))
    return out


CACHE_ENV = "DESKHAND_DEMO_CACHE"  # where builds are kept (tests share one build this way)


def build(models_dir: Path, recipe: DemoRecipe | None = None,
          progress: Callable[[int, int, float], None] | None = None) -> DemoModel:
    """The demo for ``recipe`` under ``models_dir`` (or ``$DESKHAND_DEMO_CACHE``), built once.

    The demonstrations are drawn only when no build of this recipe exists yet."""
    import os

    recipe = recipe or DemoRecipe()
    folder = Path(os.environ.get(CACHE_ENV) or models_dir / DEMO_NAME)
    alias = _alias(recipe)
    cached = cached_demo(folder, alias)
    if cached is not None:
        return cached
    return build_demo(folder, demonstrations(seed=recipe.seed), recipe, progress=progress,
                      alias=alias)


def _alias(recipe: DemoRecipe) -> str:
    """The recipe and every source the demonstrations come from: the same alias, the same
    build."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(recipe.key("").encode())
    sources = [root / "app" / "demo.py", root / "app" / "demo_data.py",
               *sorted((root / "app" / "practice").glob("*.py")),
               *sorted((root / "agent" / "practice").glob("*.py")),
               root / "models" / "families" / "deskhand.py",
               root / "models" / "families" / "critic.py"]
    for source in sources:
        digest.update(source.name.encode() + source.read_bytes())
    digest.update(repr((tuple(DEMO_SEEDS), DEMO_KINDS)).encode())
    return digest.hexdigest()[:16]


def install(catalogue: Catalogue, demo: DemoModel, *, name: str = DEMO_NAME) -> InstalledModel:
    """Add the built demo to the catalogue and use it for the actor and the critic."""
    check_pair(demo.gguf_path, demo.mmproj_path)
    model = InstalledModel(
        name=name, family="deskhand", gguf=demo.gguf_path, mmproj=demo.mmproj_path,
        source="demo", size=demo.gguf_path.stat().st_size + demo.mmproj_path.stat().st_size,
        sha256=sha256_file(demo.gguf_path), mmproj_sha256=sha256_file(demo.mmproj_path),
        hf=Path(demo.hf_dir), note=DEMO_NOTE)
    catalogue.add(model, replace_existing=True)
    catalogue.use(name, "actor")
    catalogue.use(name, "critic")
    return model
