"""Where the session-signing key comes from: the environment, or a random file kept in data_dir.

A default key in code would let anyone forge sessions and CSRF tokens on every installation that
forgot to set one; a generated file keeps sessions valid across restarts without an operator step.
The same key signs the OAI-PMH resumption tokens and keys the staff sessions' credential stamps, so a
weak one is refused at start (`GRENSELOS_SECRET_KEY=a` would let anyone forge all of them), and a key
file that other users can read is named in a warning: whoever reads it can sign in as any session.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from core.errors import ConfigError

log = logging.getLogger(__name__)

ENV_VAR = "GRENSELOS_SECRET_KEY"
FILE_NAME = "portal-secret-key"
MIN_LENGTH = 32
#: A key of 32 characters with fewer different ones than this is a pattern, not a secret ("aaaa…").
MIN_DISTINCT = 8


def check_strength(key: str, origin: str) -> str:
    """`key` itself, or a ConfigError naming where the weak key came from and how to make a good one."""
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_DISTINCT:
        raise ConfigError(f"the secret key from {origin} is too weak: it needs at least {MIN_LENGTH} characters, "
                          f"{MIN_DISTINCT} of them different (make one with: python3 -c 'import secrets; "
                          f"print(secrets.token_hex(32))')")
    return key


def _warn_if_readable_by_others(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("secret key file %s can be read or changed by other users (mode %s); anyone who reads it "
                    "can forge sessions. Run: chmod 600 %s", path, oct(mode & 0o777), path)


def secret_key(data_dir: Path) -> str:
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return check_strength(from_env, f"${ENV_VAR}")
    path = Path(data_dir) / FILE_NAME
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if key:                             # an operator's file is never overwritten, only judged
        _warn_if_readable_by_others(path)
        return check_strength(key, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions (whatever the umask), and never follow a planted symlink.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(key + "\n")
    return key
