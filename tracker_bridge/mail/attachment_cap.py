"""At most so many attachments, and so many bytes of them, per mail reach Tracker (issue 17).

One mail with 1,000 tiny attachments made about 1,000 Tracker upload requests. The files kept are
the first ones in the mail's order while both caps hold (``mail.limits.attachments`` and
``mail.limits.attachment_bytes``); the others are listed by name and size at the end of the text
that becomes the issue's description or comment, so support knows they exist. The mail itself,
with every file, stays in the mailbox's Processed folder. Pure.
"""

from __future__ import annotations

import dataclasses

from tracker_bridge.regulation.model import Attachment, InboundMail

__all__ = ["LISTED", "cap_attachments"]

LISTED = 50  # names listed; beyond, a count


def cap_attachments(mail: InboundMail, *, count: int, total_bytes: int) -> InboundMail:
    """``mail`` with its attachments within the caps and the rest listed in its text."""
    kept: list[Attachment] = []
    left: list[Attachment] = []
    used = 0
    for attachment in mail.attachments:
        if len(kept) < count and used + attachment.size <= total_bytes:
            kept.append(attachment)
            used += attachment.size
        else:
            left.append(attachment)
    if not left:
        return mail
    note = _note(left, count, total_bytes)
    return dataclasses.replace(
        mail,
        attachments=tuple(kept),
        text=f"{mail.text.rstrip()}\n\n{note}",
        reply_text=f"{mail.reply_text.rstrip()}\n\n{note}" if mail.reply_text else "",
        defects=(*mail.defects, f"{len(left)} attachments over the cap: listed, not uploaded"),
    )


def _note(left: list[Attachment], count: int, total_bytes: int) -> str:
    lines = [f"- {a.filename} ({_size(a.size)})" for a in left[:LISTED]]
    if len(left) > LISTED:
        lines.append(f"- … и ещё {len(left) - LISTED}")
    head = (
        f"Вложения сверх ограничения ({count} файлов, {_size(total_bytes)} на письмо) не "
        "загружены; письмо со всеми файлами хранится в почтовом ящике:"
    )
    return "\n".join([head, *lines])


def _size(size: int) -> str:
    for unit, scale in (("МБ", 1024 * 1024), ("КБ", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} Б"
