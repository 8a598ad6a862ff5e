"""Who is acting: the one shape every stage above accounts receives, however the person signed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    username: str
    library: str
    role: str

    def as_dict(self) -> dict:
        return {"username": self.username, "library": self.library, "role": self.role}
