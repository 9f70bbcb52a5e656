"""One module per moto gap. apply_all() applies every patch; DSENV_DISABLE_PATCHES (comma list) skips some,
so tests can show that each gap is real without its patch."""
import importlib
import os

PATCHES = []  # module names, in application order


def apply_all():
    disabled = {p.strip() for p in os.environ.get("DSENV_DISABLE_PATCHES", "").split(",") if p.strip()}
    for name in PATCHES:
        if name in disabled or "all" in disabled:
            continue
        importlib.import_module(f"{__name__}.{name}").apply()
