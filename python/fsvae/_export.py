"""fsvae.export(): a published FSVAE checkpoint to a .fsvae model file.

It runs the exporter the project ships (tools/fsvae_export.py, copied into
the package as fsvae/_exporter), which needs torch: imported on first use.
"""

import importlib
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping, Optional, Union

from ._errors import InvalidModelError, ModelIOError

_EXPORTER = Path(__file__).resolve().parent / "_exporter"


def _modules():
    if str(_EXPORTER) not in sys.path:
        sys.path.insert(0, str(_EXPORTER))
    import fsvae_arch  # noqa: E402  (needs torch)
    import fsvae_export
    import fsvae_schema
    # The schema's generated classes are named fsvae.format.*, inside this
    # package, where the build put them (flatc is not needed at run time).
    if fsvae_schema._cached is None:
        fsvae_schema._cached = SimpleNamespace(**{
            n: importlib.import_module(f"{__package__}.format.{n}")
            for n in ("Layer", "LayerKind", "Variant", "Model")})
    return fsvae_arch, fsvae_export


def export(checkpoint: Union[str, os.PathLike, Mapping[str, Any]], out_path: Union[str, os.PathLike],
           dataset: Optional[str] = None) -> str:
    """Export `checkpoint` (a .pth path, or a state_dict already loaded) to
    `out_path`, as `python3 tools/fsvae_export.py` does: every key, shape and
    value checked, tdBN folded, written to a temporary file then renamed.
    dataset is stored as metadata ("unknown" if None). Returns out_path.

    Raises InvalidModelError (one line per problem) for a checkpoint that is
    not an FSVAE state_dict, ModelIOError for a path that cannot be read or
    an output directory that does not exist."""
    arch_mod, exp = _modules()
    out = Path(os.fspath(out_path))
    if not out.parent.is_dir():
        raise ModelIOError(f"{out.parent}: output directory does not exist")
    try:
        if isinstance(checkpoint, Mapping):
            sd = arch_mod.unwrap(dict(checkpoint))
            arch = arch_mod.validate(sd)
            source = f"state_dict via {Path(exp.__file__).name}"
        else:
            path = Path(os.fspath(checkpoint))
            if not path.exists():
                raise ModelIOError(f"{path}: no such file")
            sd, arch = arch_mod.load_checkpoint(path)
            source = f"{path.name} via {Path(exp.__file__).name}"
    except arch_mod.CheckpointError as e:
        raise InvalidModelError("\n".join(str(a) for a in e.args)) from None
    data, _ = exp.build(sd, arch, dataset or "unknown", source)
    exp.write_atomically(out, data)
    return str(out)
