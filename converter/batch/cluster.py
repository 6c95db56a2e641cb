"""Archives on Dask (the optional extra ``converter[dask]``; imported only when used).

:func:`connect` gives the batch a Dask cluster to run on (``convert --cluster``): the chunks of
files become Dask tasks through the client's ``concurrent.futures`` executor, and everything
else, the journal, the report, the dataset's order, stays in the process that asked. A worker
that dies costs its chunk, which Dask runs again on another worker.

:func:`parquet_dataset` turns an archive into a partitioned Parquet dataset with Dask's own
collections: a ``dask.bag`` of paths, mapped a partition at a time to rows (the rows of
:mod:`converter.writers.dataset`, typed as :mod:`converter.writers.parquet` types them), made a
Dask DataFrame and written with ``to_parquet``, one file per partition. It runs on whatever
scheduler is active: the local one, or a ``distributed.Client``'s cluster.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from typing import Any

from ..errors import OptionError
from ..writers import make_writer
from ..writers.dataset import COLUMNS
from ..writers.parquet import ParquetWriter, pyarrow, schema
from .dataset import _row
from .planning import DEFAULT_INCLUDE, plan_inputs
from .report import FileResult

#: Documents per partition (a task, and a file of the dataset) unless told otherwise.
PARTITION = 2000


def _dask() -> Any:
    try:
        import dask
        import dask.bag
        import dask.dataframe  # to_dataframe needs it imported
    except ImportError:
        raise OptionError("this needs Dask: pip install 'converter[dask]'") from None
    return dask


def parquet_dataset(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                    out_dir: str | os.PathLike[str], *, partition_size: int = PARTITION,
                    partition_on: Sequence[str] | None = None, include: Iterable[str] = DEFAULT_INCLUDE,
                    exclude: Iterable[str] = (), follow_symlinks: bool | None = None,
                    scheduler: Any = None, **options: Any) -> list[FileResult]:
    """Write every document of ``inputs`` (walked as ``convert_tree`` walks folders) as a row
    of a Parquet dataset in the folder ``out_dir``, with Dask; return the inputs that failed.

    Each partition of ``partition_size`` paths is one task and one file, ``part.N.parquet``, its
    rows in input order; ``partition_on`` (``["language"]``, ``["site"]``) splits the files
    further into Hive-style folders (``language=zh-Hans/``). ``options`` are the Markdown and
    text writers' (``width``, ``references``, ``front_matter``). The rows and their columns are
    those of ``convert --to parquet``. Every document is read and converted once: the rows and
    the failures are computed together.

    ``scheduler`` is Dask's: by default the cluster of the ``distributed.Client`` in use, or
    else a pool of processes on this machine (conversion is Python code: threads would share
    one core).
    """
    dask = _dask()
    pyarrow()
    make_writer("parquet", **options)  # a bad option fails before any work
    names = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    plan = plan_inputs(names, "parquet", include=include, exclude=exclude, follow_symlinks=follow_symlinks,
                       pair=False, read_feeds=False)
    sources = plan.jobs.sources
    if not sources:
        return plan.problems
    made = dask.bag.from_sequence(sources, partition_size=partition_size).map_partitions(_rows, options)
    frame = made.to_dataframe(meta=_meta())  # a row, or a failure: its source and _error
    ok = frame[_ERROR].isna()
    failures = frame[~ok][["source", _ERROR]]
    write = frame[ok].drop(columns=[_ERROR]).to_parquet(
        os.fspath(out_dir), schema=schema(), write_index=False, compute=False,
        partition_on=list(partition_on) if partition_on else None)
    _, failed = dask.compute(write, failures, scheduler=_scheduler(dask, scheduler))
    return plan.problems + [FileResult(source, None, "failed", error)
                            for source, error in zip(failed["source"], failed[_ERROR], strict=True)]


def _scheduler(dask: Any, scheduler: Any) -> Any:
    """``scheduler``, else the one configured or a client's (None: Dask finds it), else processes."""
    if scheduler is not None or dask.config.get("scheduler", None):
        return scheduler
    try:
        from distributed import get_client

        get_client()
        return None
    except (ImportError, ValueError):
        return "processes"


#: The column that carries, in the frame only, why an input failed (None for a row).
_ERROR = "_error"


def _rows(paths: Iterable[str], options: dict[str, Any]) -> list[dict[str, Any]]:
    """A partition's rows: for each path its typed row, or only its source and its error."""
    writer = make_writer("parquet", **options)
    assert isinstance(writer, ParquetWriter)
    out: list[dict[str, Any]] = []
    for path in paths:
        result = _row(writer, path, "")
        out.append({**result.row, _ERROR: None} if result.row is not None else
                   {**dict.fromkeys(COLUMNS), "source": path, _ERROR: result.error})
    return out


def _meta() -> Any:
    """An empty pandas frame with the columns of a row and ``_error``, for Dask to know them
    before it runs."""
    pa = pyarrow()
    return schema().append(pa.field(_ERROR, pa.string())).empty_table().to_pandas()


#: What ``--cluster`` takes: a scheduler's address, or ``local:N`` for N local workers.
_LOCAL = re.compile(r"local:([1-9][0-9]*)\Z")
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 30


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise OptionError("--cluster needs Dask: pip install 'converter[dask]'") from None
    return distributed


@contextlib.contextmanager
def connect(spec: str) -> Iterator[tuple[Executor, int]]:
    """A Dask cluster to run a batch on, as an executor and its number of worker threads:
    ``tcp://HOST:8786`` (a running scheduler; ``dask scheduler`` and ``dask worker`` start
    them), or ``local:N``, a ``LocalCluster`` of N single-threaded worker processes on this
    machine, for trying it. The client is closed (and a local cluster stopped) at the end."""
    distributed = _distributed()
    local = _LOCAL.match(spec.strip())
    cluster = None
    try:
        if local:
            cluster = distributed.LocalCluster(n_workers=int(local[1]), threads_per_worker=1, processes=True,
                                               dashboard_address=None, host="127.0.0.1")
            client = distributed.Client(cluster)
        elif "://" in spec:
            client = distributed.Client(spec.strip(), timeout=CONNECT_TIMEOUT)
        else:
            raise OptionError(f"--cluster takes a scheduler's address (tcp://HOST:8786) or local:N, not {spec!r}")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise OptionError(f"cannot reach the Dask scheduler at {spec} ({exc})") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        threads = max(1, sum(client.nthreads().values()))
        yield client.get_executor(), threads
    except TimeoutError:
        raise OptionError(f"the Dask scheduler at {spec} has no worker") from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["COLUMNS", "PARTITION", "connect", "parquet_dataset"]
