"""FakeTracker conformance: attachments (upload, attach, download) and links, via the client."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from yandex_tracker_client.exceptions import NotFound, UnprocessableEntity

from tracker_bridge.testing.fake_tracker import FakeTracker

START = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


def test_upload_to_an_issue_and_download_the_same_bytes(
    fake: FakeTracker, client: Any, tmp_path: Path
) -> None:
    """POST …/attachments?filename= (multipart "file") → 201; content URL streams the bytes."""
    source = tmp_path / "выписка.pdf"
    source.write_bytes(b"%PDF-1.4 \x00\x01 binary")
    issue = client.issues.create(queue="SUP", summary="x")
    uploaded = issue.attachments.create(str(source))

    assert (uploaded.name, uploaded.size, uploaded.mimetype) == (
        "выписка.pdf",
        len(source.read_bytes()),
        "application/pdf",
    )
    assert uploaded.content.startswith(fake.url)
    target = tmp_path / "out"
    target.mkdir()
    [listed] = list(issue.attachments)
    listed.download_to(str(target))
    assert (target / "выписка.pdf").read_bytes() == source.read_bytes()
    assert fake.attachments[uploaded.id].issue == "SUP-1"
    assert fake.changelog["SUP-1"][-1].type == "IssueAttachmentAdded"


def test_temporary_upload_is_attached_by_create_and_by_comment(
    fake: FakeTracker, client: Any, tmp_path: Path
) -> None:
    """A temp upload (/v2/attachments/) joins an issue via attachmentIds; comments too."""
    screenshot = tmp_path / "screen.png"
    screenshot.write_bytes(b"\x89PNG fake")
    issue = client.issues.create(queue="SUP", summary="x", attachments=[str(screenshot)])
    comment = issue.comments.create(text="see log", attachments=[str(screenshot)])

    files = sorted(fake.attachments.values(), key=lambda a: int(a.id))
    assert [(f.issue, f.comment) for f in files] == [("SUP-1", None), ("SUP-1", comment.id)]
    assert b"".join(client.attachments[files[0].id].read()) == b"\x89PNG fake"
    assert comment.attachments[0].display == "screen.png"


def test_file_object_upload_uses_the_filename_param(fake: FakeTracker, client: Any) -> None:
    """The name comes from ?filename= (the client's part filename is always "file")."""
    issue = client.issues.create(queue="SUP", summary="x")
    uploaded = issue.attachments.create(io.BytesIO(b"a,b\n"), params={"filename": "data.csv"})
    assert (fake.attachments[uploaded.id].name, fake.attachments[uploaded.id].content) == (
        "data.csv",
        b"a,b\n",
    )


def test_unknown_attachment_id_is_rejected(fake: FakeTracker, client: Any) -> None:
    """attachmentIds naming no temporary upload → 422; no issue is created."""
    with pytest.raises(UnprocessableEntity):
        client.issues.create(queue="SUP", summary="x", attachmentIds=["999"])
    assert fake.issues == {}


def test_links_appear_on_both_issues_with_opposite_directions(
    fake: FakeTracker, client: Any
) -> None:
    """POST …/links: 201; the other issue sees the inverse relationship; IssueLinked on both."""
    first = client.issues.create(queue="SUP", summary="new request")
    client.issues.create(queue="SUP", summary="old request")
    link = first.links.create(relationship="duplicates", issue="SUP-2")

    assert (link.type.id, link.direction, link.object.key) == ("duplicates", "outward", "SUP-2")
    [back] = list(client.issues["SUP-2"].links)
    assert (back.direction, back.object.key, back.type.inward) == (
        "inward",
        "SUP-1",
        "is duplicated by",
    )
    assert [(r.source, r.target) for r in fake.links.values()] == [("SUP-1", "SUP-2")]
    assert fake.changelog["SUP-2"][-1].type == "IssueLinked"


def test_linking_an_already_linked_pair_is_a_422_either_way(fake: FakeTracker, client: Any) -> None:
    """A second link between the same two issues → 422 "уже связаны", from either side."""
    first = client.issues.create(queue="SUP", summary="a")
    second = client.issues.create(queue="SUP", summary="b")
    first.add_link("relates", "SUP-2")
    with pytest.raises(UnprocessableEntity, match="уже связаны"):
        first.links.create(relationship="relates", issue="SUP-2")
    with pytest.raises(UnprocessableEntity):
        second.links.create(relationship="depends on", issue="SUP-1")
    assert len(fake.links) == 1


def test_link_to_a_missing_issue_is_404(fake: FakeTracker, client: Any) -> None:
    """Linking to an unknown key → NotFound, and nothing is linked."""
    first = client.issues.create(queue="SUP", summary="a")
    with pytest.raises(NotFound):
        first.links.create(relationship="relates", issue="SUP-77")
    assert fake.links == {}
