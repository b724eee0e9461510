"""fsvae: Fully Spiking VAEs run event by event on the CPU (fsvae-rt).

    import fsvae
    model = fsvae.Model()                  # the bundled Fashion-MNIST model
    images = model.generate(8, seed=7)     # (8, C, H, W) float32 in [-1, 1]
    rec = model.reconstruct(images)
    profile = model.profile(count=64)      # the dict `fsvae profile --json` writes
    fsvae.write_report(profile, "r.html")

fsvae.dask.generate() spreads generation over a dask cluster, with the same
bytes as one process. fsvae.export() turns a PyTorch checkpoint into a model
file (needs torch).
"""

from . import _fsvae
from ._errors import (BadStateError, FsvaeError, InternalError, InvalidArgumentError,
                      InvalidModelError, ModelIOError, OutOfMemoryError)
from ._errors import BY_STATUS as _BY_STATUS
from ._export import export
from ._model import BUNDLED_MODEL, Model, write_report

_fsvae._set_error_classes(dict(_BY_STATUS))

#: The runtime's version, "MAJOR.MINOR.PATCH" (fsvae_version()).
__version__: str = _fsvae.runtime_version

__all__ = ["Model", "write_report", "export", "BUNDLED_MODEL", "FsvaeError",
           "InvalidArgumentError", "ModelIOError", "InvalidModelError", "OutOfMemoryError",
           "BadStateError", "InternalError", "__version__"]


def __getattr__(name):
    # fsvae.dask imports dask, which plain use does not need.
    if name == "dask":
        import importlib
        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'fsvae' has no attribute {name!r}")
