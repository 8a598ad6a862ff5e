"""The Library of Congress records every benchmark uses, fetched once and cached in bench/.cache/.

`BooksAll.2016.part01.utf8` (250,000 records, ISO 2709, UTF-8, public domain) ships inside the pymarc
5.4.0 source distribution on PyPI, so `pip download` is the only network step.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

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
