"""fsvae.Model: a loaded model, and what runs on it.

Every argument is checked here, before anything is computed, so a mistake
surfaces as one InvalidArgumentError naming the argument; the compiled module
(fsvae._fsvae) then runs through the C API with the GIL released.
"""

import json
import numbers
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple, Union

import numpy as np

from . import _fsvae
from ._errors import InvalidArgumentError, ModelIOError

#: The model shipped inside the package (Fashion-MNIST, 32 x 32).
BUNDLED_MODEL: str = str(Path(__file__).resolve().parent / "data" / "fashion-mnist.fsvae")

_U64 = (1 << 64) - 1
_U32 = (1 << 32) - 1


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(f"{name}: expected an integer, got {type(value).__name__}")
    value = int(value)
    if value < low or value > high:
        raise InvalidArgumentError(f"{name}: {value} is outside {low} .. {high}")
    return value


def _count(value: Any) -> int:
    n = _integer("count", value, -(1 << 63), _U64)
    if n <= 0:
        raise InvalidArgumentError(f"count: {n}; it must be 1 or more")
    return n


def _as_array(images: Any) -> np.ndarray:
    """numpy arrays as they are; torch tensors (and others) through DLPack or __array__."""
    if isinstance(images, np.ndarray):
        return images
    if hasattr(images, "detach") and hasattr(images, "requires_grad") and images.requires_grad:
        raise InvalidArgumentError("images: a tensor that requires grad; pass tensor.detach()")
    if hasattr(images, "__dlpack__"):
        try:
            return np.from_dlpack(images)
        except (TypeError, RuntimeError, BufferError, ValueError):
            pass  # a device or dtype numpy cannot take through DLPack: try __array__
    if hasattr(images, "__array__"):
        return np.asarray(images)
    raise InvalidArgumentError(f"images: expected a numpy array or a tensor, got {type(images).__name__}")


class Model:
    """A validated, immutable FSVAE model file, loaded once.

    Any number of threads may call one Model at the same time; each call runs
    on a session of its own. Image i of a seed depends only on (seed, i): the
    same bytes for any thread count, batch size or call order, and the same as
    `fsvae generate` / `fsvae reconstruct` for that seed and index.
    """

    def __init__(self, path: Optional[Union[str, os.PathLike]] = None) -> None:
        """Load `path` (a .fsvae file); None loads the bundled model."""
        self.path: str = BUNDLED_MODEL if path is None else os.fspath(path)
        if not os.path.exists(self.path):
            raise ModelIOError(f"{self.path}: no such file")
        if os.path.isdir(self.path):
            raise ModelIOError(f"{self.path}: is a directory, not a model file")
        self._m = _fsvae.Model(self.path)
        self._info: Dict[str, Any] = self._m.info()

    @property
    def info(self) -> Dict[str, Any]:
        """What the model is: variant, dataset, time_steps, k, latent_dim,
        channels, height, width, layer_count, image_floats, model_bytes, isa
        (the kernel table in use), file and source."""
        return dict(self._info)

    @property
    def image_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of one image."""
        i = self._info
        return (i["channels"], i["height"], i["width"])

    def __repr__(self) -> str:
        i = self._info
        return (f"fsvae.Model({self.path!r}: {i['variant']} T={i['time_steps']} k={i['k']} "
                f"latent_dim={i['latent_dim']} image={i['channels']}x{i['height']}x{i['width']})")

    # ---- checks ------------------------------------------------------------

    def _images(self, images: Any) -> np.ndarray:
        """The images as a float32, C-contiguous (N, C, H, W) array in [-1, 1], or an error."""
        a = _as_array(images)
        C, H, W = self.image_shape
        if a.dtype != np.float32:
            raise InvalidArgumentError(f"images: dtype {a.dtype}, expected float32 "
                                       f"(convert with .astype(numpy.float32))")
        if a.ndim != 4:
            raise InvalidArgumentError(f"images: shape {tuple(a.shape)}, expected (N, {C}, {H}, {W})")
        if a.shape[1] != C:
            raise InvalidArgumentError(f"images: {a.shape[1]} channels, the model takes {C} "
                                       f"(shape {tuple(a.shape)}, expected (N, {C}, {H}, {W}))")
        if a.shape[2:] != (H, W):
            raise InvalidArgumentError(f"images: {a.shape[2]}x{a.shape[3]} pixels, the model takes "
                                       f"{H}x{W} (shape {tuple(a.shape)})")
        if a.shape[0] == 0:
            raise InvalidArgumentError("images: no images (N is 0)")
        if not a.flags.c_contiguous:
            raise InvalidArgumentError("images: not C-contiguous; refused rather than copied "
                                       "(pass numpy.ascontiguousarray(images))")
        bad = ~((a >= -1.0) & (a <= 1.0))  # NaN fails both comparisons
        if bad.any():
            n, c, y, x = (int(v) for v in np.argwhere(bad)[0])
            raise InvalidArgumentError(f"images: value {a[n, c, y, x]!r} at [{n}, {c}, {y}, {x}] "
                                       f"is outside [-1, 1]")
        return a

    @staticmethod
    def _run_args(seed: Any, first_index: Any, threads: Any) -> Tuple[int, int, int]:
        return (_integer("seed", seed, 0, _U64), _integer("first_index", first_index, 0, _U64),
                _integer("threads", threads, 0, _U32))

    @staticmethod
    def _range(first_index: int, count: int) -> None:
        if first_index + count - 1 > _U64:
            raise InvalidArgumentError(f"first_index {first_index} + count {count} overflows "
                                       f"the 64-bit image index")

    # ---- running -----------------------------------------------------------

    def generate(self, count: int, seed: int = 0, first_index: int = 0, threads: int = 0,
                 return_z: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """Sample images first_index .. first_index + count - 1 from the prior.

        Returns float32 (count, C, H, W) in [-1, 1]; with return_z, also the
        latent trains, uint8 (count, T, latent_dim) of 0/1, for decode().
        threads: 0 = every core, n = up to n. Ctrl-C interrupts it.
        """
        count = _count(count)
        seed, first_index, threads = self._run_args(seed, first_index, threads)
        self._range(first_index, count)
        if return_z:
            return self._m.with_latents(count, seed, first_index, threads, None)
        return self._m.generate(count, seed, first_index, threads)

    def reconstruct(self, images: Any, seed: int = 0, first_index: int = 0, threads: int = 0,
                    return_z: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """Encode and decode `images`: float32 (N, C, H, W) in [-1, 1], a numpy
        array or a tensor (DLPack or __array__). Image i uses sampler index
        first_index + i. Returns the reconstructions (and with return_z the
        latent trains the posterior sampled, as generate())."""
        a = self._images(images)
        seed, first_index, threads = self._run_args(seed, first_index, threads)
        self._range(first_index, a.shape[0])
        if return_z:
            return self._m.with_latents(a.shape[0], seed, first_index, threads, a)
        return self._m.reconstruct(a, seed, first_index, threads)

    def steps(self, index: int, seed: int = 0, image: Any = None) -> Iterator[np.ndarray]:
        """Run image `index` one time step at a time: yields the image so far,
        float32 (C, H, W), after each of the T steps; the last equals
        generate() (or, with `image` (C, H, W), reconstruct()) for that index."""
        index = _integer("index", index, 0, _U64)
        seed = _integer("seed", seed, 0, _U64)
        if image is not None:
            a = _as_array(image)
            if a.ndim == 3:
                a = a[None]
            image = self._images(a)[0]
        return self._m_steps(index, seed, image)

    def _m_steps(self, index: int, seed: int, image: Optional[np.ndarray]) -> Iterator[np.ndarray]:
        yield from _fsvae.Steps(self._m, index, seed, image)

    def decode(self, z: Any, threads: int = 0) -> np.ndarray:
        """Decode given latent trains z, (N, T, latent_dim) of 0/1 (any integer
        or bool dtype), into images float32 (N, C, H, W). decode() of the z
        that generate(return_z=True) gave returns those images, so trains can
        be edited or mixed (interpolation) and decoded."""
        a = _as_array(z)
        T, L = self._info["time_steps"], self._info["latent_dim"]
        if a.ndim != 3 or a.shape[1:] != (T, L):
            raise InvalidArgumentError(f"z: shape {tuple(a.shape)}, expected (N, {T}, {L})")
        if a.shape[0] == 0:
            raise InvalidArgumentError("z: no latent trains (N is 0)")
        if not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer)):
            raise InvalidArgumentError(f"z: dtype {a.dtype}, expected 0/1 integers or bools")
        if ((a != 0) & (a != 1)).any():
            raise InvalidArgumentError("z: values other than 0 and 1")
        threads = _integer("threads", threads, 0, _U32)
        return self._m.decode(np.ascontiguousarray(a, dtype=np.uint8), threads)

    # ---- profile -----------------------------------------------------------

    def profile(self, count: Optional[int] = 64, seed: int = 0, mode: str = "generate",
                images: Any = None, first_index: int = 0, threads: int = 0,
                energy_table: str = "fp32-45nm") -> Dict[str, Any]:
        """Run and count, as `fsvae profile`: returns the dict its --json
        writes (layers, totals, latent rate, energy estimates; computed by the
        same code). mode "reconstruct" takes `images` (N, C, H, W); count
        then limits how many are used (None: all)."""
        seed, first_index, threads = self._run_args(seed, first_index, threads)
        if mode == "generate":
            if images is not None:
                raise InvalidArgumentError("images: only for mode=\"reconstruct\"")
            count = _count(count)
            a = None
        elif mode == "reconstruct":
            if images is None:
                raise InvalidArgumentError("mode=\"reconstruct\" needs images")
            a = self._images(images)
            if count is not None:
                a = a[:_count(count)]
            count = a.shape[0]
        else:
            raise InvalidArgumentError(f"mode: {mode!r}; expected \"generate\" or \"reconstruct\"")
        self._range(first_index, count)
        counters = self._m.profile_counters(count, seed, first_index, threads, a)
        return self._profile_dict(counters, mode, seed, first_index, threads, energy_table)

    def _profile_dict(self, counters: Dict[str, Any], mode: str, seed: int, first_index: int,
                      threads: int, energy_table: str) -> Dict[str, Any]:
        text = self._m.profile_json(counters, mode, seed, first_index, threads, "", 0, energy_table)
        return json.loads(text)


def write_report(profile: Dict[str, Any], path: Union[str, os.PathLike]) -> None:
    """Write the HTML report of a profile (Model.profile(), or a profile JSON
    that `fsvae profile` wrote, loaded) to `path`, as `fsvae profile
    --report` does: written to a temporary file beside it, then renamed."""
    html = _fsvae.html_report(json.dumps(profile))
    path = Path(os.fspath(path))
    if not path.parent.is_dir():
        raise ModelIOError(f"{path.parent}: output directory does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
