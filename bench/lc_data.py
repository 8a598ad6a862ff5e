"""The Library of Congress records every benchmark uses, fetched once and cached in bench/.cache/.

`BooksAll.2016.part01.utf8` (250,000 records, ISO 2709, UTF-8, public domain) ships inside the pymarc
5.4.0 source distribution on PyPI, so `pip download` is the only network step. The benchmarks read them
with the project's one MARC file reader (`harvest.reader`, as `grenselos import` and `grenselos convert`
do), so what they measure and convert is the project's record model (`harvest.marcdata.MarcData`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Iterator

CACHE = Path(__file__).resolve().parent / ".cache"
DATA = CACHE / "BooksAll.2016.part01.utf8"


def ensure_data() -> Path:
    if DATA.exists():
        return DATA
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / "pymarc-5.4.0.tar.gz"
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "pymarc==5.4.0", "-d", str(CACHE)], check=True)
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("BooksAll.2016.part01.utf8"))
        with tar.extractfile(member) as src, DATA.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return DATA


def lc_records(path: Path | None = None) -> Iterator:
    """Every record of the LC file (or of `path`, a sample of it) in file order, as `grenselos convert`
    reads it (`transform.marcfiles.read_file` over `harvest.reader`): `ReadRecord`s whose `record` is the
    MarcData the mapping tables read, or None (with `error`) for one the reader could not read."""
    from transform.marcfiles import read_file
    return read_file(path or ensure_data())


def lc_sample(n: int, out: Path) -> int:
    """The first `n` records of the LC file, written to `out` as they are (ISO 2709); returns how many."""
    import mmap
    from harvest import iso2709
    count = 0
    with open(ensure_data(), "rb") as src, open(out, "wb") as dst, \
            mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for chunk in iso2709.chunks(data):        # the pages read stay mapped: let go of them as we go
            if count >= n:
                break
            dst.write(chunk.data)
            count += 1
            if count % 10_000 == 0:
                data.madvise(mmap.MADV_DONTNEED, 0, chunk.offset - chunk.offset % mmap.PAGESIZE)
    return count
