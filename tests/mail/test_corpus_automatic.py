"""Machine-written mail in the corpus is flagged automatic; people's mail is not (safety rules)."""

from __future__ import annotations

import pytest

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message

pytestmark = needs_corpus

# Auto-replies, out-of-office, bounces, delivery/read reports and bulk mail (SOURCES.md coverage).
AUTOMATIC = [
    "chatwoot__auto_reply.eml",  # only X-Autoreply: yes
    "chatwoot__auto_reply_with_auto_submitted.eml",
    "chatwoot__non_utf_encoded_mail.eml",
    "chatwoot__bounced_gmail.eml",
    "chatwoot__bounced_with_no_from.eml",
    "discourse__auto_generated_header.eml",
    "discourse__auto_generated_precedence.eml",
    "discourse__bounced_email.eml",
    "discourse__hard_bounce_via_verp.eml",
    "emlparser__sample_fail_github_issue_38.eml",
    "enmime__delayed_dsn.raw.eml",
    "flanker__delayed.eml",
    "flanker__disposition-notification.eml",  # MDN read receipt
    "flanker__mailbox-full.eml",
    "flanker__office365.eml",
    "mailparserjs__delivery-status.eml",
    "rt__multipart-report.eml",
    "spamscope__mail_malformed_2.eml",
    "zammad__mail018.box.eml",
    "zammad__mail033-undelivered-mail-returned-to-sender.box.eml",
    "zammad__mail043.box.eml",
    "zammad__mail052.box.eml",  # MAILER-DAEMON, plain text
    "zammad__mail053.box.eml",
    "zammad__mail055.box.eml",
    "zammad__mail063.box.eml",
    "zammad__mail078.box.eml",  # delayed DSN that Zammad treats as out-of-office
    "zammad__mail089.box.eml",
    "zammad__mail090.box.eml",
    "zammad__mail092.box.eml",
]
# Written by people. zammad__mail069 is here on purpose: its Precedence: bulk belongs to the
# forwarded spam inside it, not to the mail itself.
HUMAN = [
    "zammad__mail001.box.eml",
    "zammad__mail002.box.eml",
    "zammad__mail004.box.eml",
    "zammad__mail010.box.eml",
    "zammad__mail069.box.eml",
    "zammad__mail081.box.eml",
    "tb__sample04.eml",
    "tb__sample05.eml",
    "flanker__bilingual-simple.eml",
    "djmailbox__message_with_koi8r_filename_attachments.eml",
    "otobo__PostMaster-Test12.box.eml",
    "rt__russian-subject-no-content-type.eml",
    "chatwoot__multiple_in_reply_to.eml",
    "discourse__encoded_display_name.eml",
]


@pytest.mark.parametrize("name", AUTOMATIC)
def test_machine_written_mail_is_automatic(name: str) -> None:
    """Auto-replies, bounces, reports and bulk mail are flagged, with a reason."""
    mail = parse_message(raw(name))
    assert mail.is_automatic
    assert mail.automatic_reason


@pytest.mark.parametrize("name", HUMAN)
def test_mail_from_people_is_not_automatic(name: str) -> None:
    """Ordinary mail from people (replies included) is not flagged."""
    mail = parse_message(raw(name))
    assert not mail.is_automatic
    assert mail.automatic_reason is None


def test_reason_names_the_rule_that_matched() -> None:
    """The reason says which marker made the mail automatic."""
    assert parse_message(raw("chatwoot__auto_reply.eml")).automatic_reason == "X-Autoreply"
    assert parse_message(raw("zammad__mail043.box.eml")).automatic_reason == "Precedence: bulk"
    assert parse_message(raw("discourse__bounced_email.eml")).automatic_reason == (
        "multipart/report"
    )
