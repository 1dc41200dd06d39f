"""The one exception family of the engine; messages name the offending input and the fix."""


class VerifyError(Exception):
    """Base class of every error the engine raises on purpose."""


class UsageError(VerifyError):
    """Bad command-line input or an unknown derivation id (exit code 2)."""


class ClaimError(VerifyError):
    """A malformed claim: wrong types, a symbol without a domain, an inconsistent shape."""
