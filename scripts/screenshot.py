"""Screenshots of pages of a running Wangge, at desktop and phone width (for looking at).

    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8000 admin Wangge@2026 \
        /territory/ /territory/350583001001/ ...

Writes var/screenshots/<name>-desktop.png and -phone.png. Uses Debian's Chromium.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(base, username, password, *paths):
    out = Path("var/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, viewport in (("desktop", {"width": 1440, "height": 900}),
                                ("phone", {"width": 360, "height": 780})):
            page = browser.new_page(viewport=viewport, locale="zh-CN")
            page.goto(base + "/login/")
            if username != "-":
                page.fill("#id_username", username)
                page.fill("#id_password", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
            for path in paths:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(400)
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                target = out / f"{name}-{label}.png"
                page.screenshot(path=str(target), full_page=label == "phone")
                print(target)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
