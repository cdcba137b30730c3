"""The report in a real browser: headless Chromium renders it, makes no network request, and we keep screenshots.

How "no request" is checked, in a way that can fail: Chromium runs with a net log (`--log-net-log`) and
with every host name resolving to nothing (`--host-resolver-rules`), so nothing leaves the machine even
if the page tried. Every network request the page itself starts appears in the log with the page as its
initiator; the browser's own background calls (component updates, time sync) carry no origin and are not
the report's doing. A control page with two remote images must show exactly those two requests: if the
detection stopped working, the control test fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tasks.report.build import build_report_files

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
NETWORK_SCHEMES = ("http:", "https:", "ws:", "wss:", "ftp:")


def _chromium(page: Path, tmp: Path, *, width: int, height: int, shot: Path) -> list[str]:
    """Render `page`, save a screenshot, and return the network URLs the page asked for."""
    if CHROMIUM is None:
        pytest.skip("chromium is absent: run `bash scripts/ensure-test-deps.sh` as root to install it")
    netlog = tmp / f"netlog-{shot.stem}.json"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / ('profile-' + shot.stem)}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--log-net-log={netlog}",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--screenshot={shot}",
        page.as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    log = json.loads(netlog.read_text(encoding="utf-8"))
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        if params.get("initiator") == "not an origin":  # the browser's own service calls, not the page
            continue
        if params["url"].startswith(NETWORK_SCHEMES):
            urls.append(params["url"])
    return urls


def test_control_page_requests_are_detected(tmp_path):
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><p>control</p><img src="http://example.invalid/a.png">'
        '<link rel="stylesheet" href="https://fonts.example.invalid/css">',
        encoding="utf-8",
    )
    urls = _chromium(page, tmp_path, width=400, height=300, shot=tmp_path / "control.png")
    assert sorted(urls) == ["http://example.invalid/a.png", "https://fonts.example.invalid/css"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    metrics = json.loads((FIXTURES / "metrics_sample.json").read_text(encoding="utf-8"))
    files = build_report_files(
        metrics,
        sla_tickets=pd.read_csv(FIXTURES / "sla_tickets_sample.csv"),
        adoption_tools=None,
        languages=["fr", "en"],
        generated_at="2026-10-01T06:00:00+00:00",
        pdf=False,
    )
    out = tmp_path_factory.mktemp("report")
    for name in ("report.html", "report.en.html"):
        (out / name).write_bytes(files[name])
    return out


@pytest.mark.parametrize(
    ("name", "width", "height"), [("report.html", 1280, 4200), ("report.en.html", 390, 3000)]
)
def test_report_renders_offline_and_looks_like_a_report(report_dir, tmp_path, name, width, height):
    from PIL import Image

    shot = report_dir / f"{name}.{width}.png"
    urls = _chromium(report_dir / name, tmp_path, width=width, height=height, shot=shot)
    assert urls == [], f"the report asked for {urls}"
    print(f"screenshot: {shot}")
    with Image.open(shot) as image:
        assert image.size == (width, height)
        rgb = image.convert("RGB")
        # The cover band is drawn in the accent colour (#1f4e79) across the top: the inline CSS applied.
        assert rgb.getpixel((5, 5)) == (0x1F, 0x4E, 0x79)
        # and the body below is mostly white with ink: not a blank or an error page
        colours = rgb.crop((0, 300, width, height)).getcolors(maxcolors=1 << 16) or []
        assert len(colours) > 50
