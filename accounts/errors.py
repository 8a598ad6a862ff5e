"""The accounts package's errors: one base, shown to the person who caused it (CLI or admin page)."""

from core.errors import GrenselosError


class AccountError(GrenselosError):
    """A request about an account that cannot be done as asked (unknown user, weak password, bad role).

    `code` names the reason for a program (the portal words each in the reader's language); the
    message is for the command line."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code
