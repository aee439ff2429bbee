"""The hotspots speak plain words (issue 14, jargon found walking the story): "rose more than
chance would explain", with a short "How we tell"; the statistical test is named only in that fold."""

import re

import pytest

from accounts.models import Role
from tests.factories import SiteFactory, member

pytestmark = pytest.mark.django_db


def outside_folds(html: str) -> str:
    """The page's text as read before anyone opens a <details> fold."""
    folded = re.sub(r"<details\b.*?</details>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", folded))


def test_the_hotspots_say_rising_in_plain_words_and_keep_the_term_in_a_fold(client):
    site = SiteFactory()
    client.force_login(member(Role.SUPERVISOR, site.provider))
    page = client.get("/analytics/").content.decode()
    read = outside_folds(page)
    assert "rose more than chance would explain" in read
    assert "Poisson" not in read
    fold = re.search(r"<details[^>]*data-how-we-tell[^>]*>(.*?)</details>", page, re.S)
    assert fold is not None
    assert "How we tell" in fold.group(1)
    assert "by luck alone" in fold.group(1)
