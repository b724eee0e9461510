"""fsvae.dask on a LocalCluster of 2 worker processes on loopback: the dask
array computed there is the single-process generation byte for byte, both
workers take part, and the merged profile is the single-run profile."""

import json

import numpy as np
import pytest

import fsvae
import fsvae.dask

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       worker_dashboard_address=None)
    c = distributed.Client(cluster, timeout=60)
    yield c
    c.close()
    cluster.close()


def _loaded_models():
    return fsvae.dask._worker_model.cache_info().currsize


def test_cluster_generation_is_the_single_process_bytes(client):
    expected = fsvae.Model().generate(90, seed=3, first_index=4, threads=1)
    arr = fsvae.dask.generate(90, seed=3, chunk=8, first_index=4)
    assert arr.shape == (90, 1, 32, 32) and arr.dtype == np.float32
    assert arr.chunks[0] == (8,) * 11 + (2,)
    got = arr.compute()
    assert got.tobytes() == expected.tobytes()
    # Every worker process generated some of it (each loaded the model).
    assert sorted(client.run(_loaded_models).values()) == [1, 1]
    # A slice computes only what it needs, with the same bytes.
    assert arr[37:41].compute().tobytes() == expected[37:41].tobytes()


def test_merged_profile_is_the_single_run_profile(client):
    def no_times(p):
        p = json.loads(json.dumps(p))
        for layer in p["layers"]:
            layer.pop("time_ms")
        p["totals"].pop("time_ms")
        return p

    single = fsvae.Model().profile(count=30, seed=6, threads=1)
    merged = fsvae.dask.profile(count=30, seed=6, chunk=7)
    assert merged["run"]["images"] == 30
    assert no_times(merged) == no_times(single)
    images = fsvae.Model().generate(9, seed=1)
    rec = fsvae.dask.profile(mode="reconstruct", images=images, seed=2, chunk=4)
    assert no_times(rec) == no_times(fsvae.Model().profile(mode="reconstruct", images=images,
                                                            seed=2, threads=1))


def test_bad_arguments_fail_before_the_cluster_runs(client):
    with pytest.raises(fsvae.InvalidArgumentError, match="count"):
        fsvae.dask.generate(0)
    with pytest.raises(fsvae.InvalidArgumentError, match="chunk"):
        fsvae.dask.generate(10, chunk=0)
    with pytest.raises(fsvae.ModelIOError, match="no such file"):
        fsvae.dask.generate(10, model="missing.fsvae")
