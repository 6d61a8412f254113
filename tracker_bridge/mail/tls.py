"""TLS for the mail connections: whom to trust, and what to say when a certificate is refused.

``ca_file`` (``mail.ca_file``, ``smtp.ca_file``) names a PEM file of CA certificates to trust for
that connection *instead of* the system store — a private CA works without ``SSL_CERT_FILE``
for the whole process. A refused certificate is a problem an operator fixes (trust the CA, or
the server's certificate is wrong), so it is reported as such, not as whatever error the failed
handshake left behind (a closed socket's "[Errno 9] Bad file descriptor").
"""

from __future__ import annotations

import ssl
from pathlib import Path

__all__ = ["certificate_problem", "trust"]


def trust(ca_file: Path | None) -> ssl.SSLContext | None:
    """A verifying context trusting ``ca_file``'s CAs; None (the system store) without one."""
    return None if ca_file is None else ssl.create_default_context(cafile=str(ca_file))


def certificate_problem(exc: BaseException, host: str, setting: str) -> str | None:
    """Why ``host``'s certificate was refused, when that is what ``exc`` (or its cause) is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            reason = current.verify_message or current.reason or str(current)
            return (
                f"the TLS certificate of {host} is not trusted ({reason}): if it is signed by "
                f"your own CA, set {setting} to that CA's certificate (PEM)"
            )
        current = current.__cause__ or current.__context__
    return None
