"""Hand-written test messages: a few headers and a body, encoded the way clients do it."""

from __future__ import annotations

from email.header import Header

DEFAULT_HEADERS = {
    "From": "Иванова Анна <Ivanova@Clinic1.example>",
    "To": "support-clinic1@vendor.example",
    "Subject": "Не печатается выписка",
    "Date": "Wed, 01 Jan 2025 10:00:00 +0300",
    "Message-ID": "<m1@clinic1.example>",
}


def message(
    body: str = "Добрый день!",
    *,
    charset: str = "utf-8",
    subtype: str = "plain",
    **headers: str | None,
) -> bytes:
    """A single-part mail; header names use underscores (X_Priority), None drops a header."""
    fields = dict(DEFAULT_HEADERS)
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    lines = [f"{name}: {_encoded(value)}" for name, value in fields.items() if value is not None]
    lines += [
        "MIME-Version: 1.0",
        f"Content-Type: text/{subtype}; charset={charset}",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body.encode(charset)


def _encoded(value: str) -> str:
    if value.isascii():
        return value
    if "<" in value:  # keep the address part readable, encode the display name
        name, _, rest = value.partition("<")
        return f"{Header(name.strip(), 'utf-8').encode()} <{rest}"
    return Header(value, "utf-8").encode()
