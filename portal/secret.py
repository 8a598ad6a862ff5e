"""Where the session-signing key comes from: the environment, or a random file kept in data_dir.

A default key in code would let anyone forge sessions and CSRF tokens on every installation that
forgot to set one; a generated file keeps sessions valid across restarts without an operator step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_VAR = "GRENSELOS_SECRET_KEY"
FILE_NAME = "portal-secret-key"


def secret_key(data_dir: Path) -> str:
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    path = Path(data_dir) / FILE_NAME
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions, and never follow a planted symlink.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key
