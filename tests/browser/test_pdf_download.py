"""The "being prepared" page in a real browser: with a real `assess worker` drawing, its script starts the download."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OFFICER, Demo, pdf_worker, sign_in

pytestmark = pytest.mark.browser


def test_the_prepared_page_starts_the_download_once_the_worker_has_drawn_it(page: Page, demo: Demo,
                                                                           tmp_path: Path) -> None:
    sign_in(page, OFFICER)
    with pdf_worker(demo.server, tmp_path / "worker.log"):
        with page.expect_download(timeout=90_000) as download:
            page.goto(demo.round_url("profile.pdf"))
            expect(page.get_by_role("heading", level=1)).to_have_text("Your PDF is being prepared")
        assert download.value.suggested_filename == f"maturity-profile-DEMO-round-{demo.round_id}.pdf"
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        expect(page.locator("#pdf-status")).to_contain_text("Your PDF is ready")
        expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
