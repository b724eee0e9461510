"""fsvae.dask: generation and profiles spread over a dask cluster.

Image i of a seed depends only on (seed, i), so each chunk generates its own
index range on whichever worker runs it, and the result is the single-process
bytes whatever the chunking, the worker count or the order chunks finish in.

    from dask.distributed import Client, LocalCluster
    import fsvae.dask
    with Client(LocalCluster(n_workers=2, threads_per_worker=1)):
        images = fsvae.dask.generate(100_000, seed=1, chunk=1024)  # a dask.array
        images.to_zarr("images.zarr")        # or .compute(), .store(...)

Workers load the model from its path (once per worker process), so the path
must be readable where they run (the bundled model always is, where the
package is installed).
"""

import functools
import os
from typing import Any, Dict, Optional, Union

import dask
import dask.array as da
import numpy as np

from ._errors import InvalidArgumentError
from ._model import Model, _count, _integer

ModelLike = Optional[Union[Model, str, os.PathLike]]


def _path(model: ModelLike) -> Optional[str]:
    if model is None:
        return None
    if isinstance(model, Model):
        return model.path
    return os.fspath(model)


@functools.lru_cache(maxsize=8)
def _worker_model(path: Optional[str]) -> Model:
    """The model, loaded once per process (worker) and path."""
    return Model(path)


def _generate_chunk(path, count, seed, first_index, threads):
    return _worker_model(path).generate(count, seed=seed, first_index=first_index, threads=threads)


def _counters_chunk(path, count, seed, first_index, threads, images):
    m = _worker_model(path)
    return m._m.profile_counters(count, seed, first_index, threads, images)


def _chunks(count: int, chunk: int):
    for start in range(0, count, chunk):
        yield start, min(chunk, count - start)


def _args(count, seed, chunk, first_index, threads):
    count = _count(count)
    seed = _integer("seed", seed, 0, (1 << 64) - 1)
    chunk = _integer("chunk", chunk, 1, 1 << 32)
    first_index = _integer("first_index", first_index, 0, (1 << 64) - 1)
    threads = _integer("threads", threads, 0, (1 << 32) - 1)
    if first_index + count - 1 > (1 << 64) - 1:
        raise InvalidArgumentError(f"first_index {first_index} + count {count} overflows "
                                   f"the 64-bit image index")
    return count, seed, chunk, first_index, threads


def generate(count: int, seed: int = 0, chunk: int = 1024, model: ModelLike = None,
             first_index: int = 0, threads: int = 1) -> da.Array:
    """Images first_index .. first_index + count - 1 as a dask.array
    float32 (count, C, H, W), in chunks of `chunk` images along N. Nothing
    runs until it is computed (on the current scheduler: a distributed
    Client if one is active). threads: runtime threads per chunk (1 lets
    the workers' own threads provide the parallelism)."""
    count, seed, chunk, first_index, threads = _args(count, seed, chunk, first_index, threads)
    path = _path(model)
    local = model if isinstance(model, Model) else _worker_model(path)  # checks the path, gives the shape
    shape = local.image_shape
    token = dask.base.tokenize(path, seed, first_index, count, chunk, threads)
    blocks = []
    for start, n in _chunks(count, chunk):
        task = dask.delayed(_generate_chunk, pure=True)(
            path, n, seed, first_index + start, threads,
            dask_key_name=f"fsvae-generate-{token}-{start}")
        blocks.append(da.from_delayed(task, shape=(n,) + shape, dtype=np.float32))
    return da.concatenate(blocks, axis=0)


def profile(count: Optional[int] = 64, seed: int = 0, chunk: int = 1024, model: ModelLike = None,
            mode: str = "generate", images: Any = None, first_index: int = 0, threads: int = 1,
            energy_table: str = "fp32-45nm") -> Dict[str, Any]:
    """Model.profile() computed in chunks on the current dask scheduler: each
    chunk returns its raw counters, which are summed (the runtime's
    Counters::merge) into the one profile a single run of all the images
    gives (per-layer times are summed over the chunks)."""
    path = _path(model)
    local = model if isinstance(model, Model) else _worker_model(path)
    if mode == "reconstruct":
        if images is None:
            raise InvalidArgumentError("mode=\"reconstruct\" needs images")
        a = local._images(np.asarray(images) if isinstance(images, da.Array) else images)
        if count is not None:
            a = a[:_count(count)]
        count = a.shape[0]
    elif mode == "generate":
        if images is not None:
            raise InvalidArgumentError("images: only for mode=\"reconstruct\"")
        a = None
    else:
        raise InvalidArgumentError(f"mode: {mode!r}; expected \"generate\" or \"reconstruct\"")
    count, seed, chunk, first_index, threads = _args(count, seed, chunk, first_index, threads)
    parts = [dask.delayed(_counters_chunk, pure=True)(
                 path, n, seed, first_index + start, threads,
                 None if a is None else np.ascontiguousarray(a[start:start + n]))
             for start, n in _chunks(count, chunk)]
    counters = local._m.merge_counters(list(dask.compute(*parts)))
    return local._profile_dict(counters, mode, seed, first_index, threads, energy_table)
