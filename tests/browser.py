"""A real headless Chromium driven over the DevTools protocol (websocket-client, no framework).

`check_page(url, screenshot)` loads a page and returns what a reader's browser saw: images that failed
to load, console errors and failed requests, local links that do not resolve, horizontal overflow at
phone width, and a screenshot. Chromium comes from Debian's `chromium` package (.ci/run installs it)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
)

# runs inside the page: every image, every local link (HEAD request), every in-page anchor
CHECKS_JS = """
(async () => {
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
  const badImgs = imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60));
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  const badLinks = [];
  for (const h of links) {
    if (h.startsWith('#')) { if (!document.getElementById(h.slice(1))) badLinks.push(h); continue; }
    if (/^[a-z]+:/i.test(h)) continue;  // absolute URLs are not local files
    const r = await fetch(h, {method: 'HEAD'}).catch(() => null);
    if (!r || !r.ok) badLinks.push(h);
  }
  return {images: imgs.length, badImgs, links: links.length, badLinks,
          imgsWithoutAlt: imgs.filter(i => !i.alt).length};
})()
"""


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("Chromium is not installed: run `apt-get update && apt-get install -y chromium` (see .ci/run)")


@dataclass
class Cdp:
    ws: Any
    events: list[dict] = field(default_factory=list)
    next_id: int = 0

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise TimeoutError(method)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        if any(e.get("method") == event for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == event:
                return
        raise TimeoutError(event)

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif m == "Runtime.exceptionThrown":
                out.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out


def _start(profile: Path) -> tuple[subprocess.Popen, int]:
    try:
        proc = subprocess.Popen(
            [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise RuntimeError(f"Chromium could not be started: {exc}") from exc
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Chromium exited with {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text().split()[0])
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("Chromium started but opened no DevTools port within 30 s")


@contextlib.contextmanager
def _session() -> Iterator[Cdp]:
    """A fresh Chromium with its own profile and one tab (Page, Runtime, Log enabled); closed on exit."""
    import websocket

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    proc, port = _start(profile)
    try:
        cdp = Cdp(websocket.create_connection(_open_tab(port), timeout=30, suppress_origin=True))
        for domain in ("Page", "Runtime", "Log"):
            cdp.call(f"{domain}.enable")
        yield cdp
        cdp.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _open_tab(port: int) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["webSocketDebuggerUrl"]


def check_page(
    url: str, screenshot: Path, width: int = 1100, height: int = 1400, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Page checks in Chromium; `extra` maps result keys to further JavaScript expressions to evaluate."""
    with _session() as cdp:
        cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        cdp.call("Page.navigate", url=url)
        cdp.wait_for("Page.loadEventFired")
        res = cdp.call("Runtime.evaluate", expression=CHECKS_JS, awaitPromise=True, returnByValue=True)
        result = res["result"]["value"]
        for key, expression in (extra or {}).items():
            result[key] = cdp.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")
        shot = base64.b64decode(cdp.call("Page.captureScreenshot", format="png")["data"])
        screenshot.write_bytes(shot)
        cdp.call("Emulation.setDeviceMetricsOverride", width=375, height=800, deviceScaleFactor=2, mobile=True)
        sw = cdp.call("Runtime.evaluate", expression="document.documentElement.scrollWidth", returnByValue=True)
        result["phone_scroll_width"] = sw["result"]["value"]
        result["errors"] = cdp.errors()
    return result


# runs inside the page at one viewport width: what overflows, and the first figure's size before a tap
LAYOUT_JS = """
(() => {
  const W = window.innerWidth;
  const boxes = [...document.querySelectorAll('.scroll')];
  const fig = document.querySelector('label.zoom img');
  fig.scrollIntoView({block: 'center'});
  const r = fig.getBoundingClientRect();
  return {width: W, docScrollWidth: document.documentElement.scrollWidth,
          scrollBoxes: boxes.length,
          boxesPastEdge: boxes.filter(b => b.getBoundingClientRect().right > W + 1).length,
          boxesScrolling: boxes.filter(b => b.scrollWidth > b.clientWidth
                                        && getComputedStyle(b).overflowX === 'auto').length,
          tablesOutsideBox: [...document.querySelectorAll('table')].filter(t => !t.closest('.scroll')).length,
          citeHeight: document.getElementById('cite').getBoundingClientRect().height,
          firstCiteRowTop: (document.querySelector('#cite tbody tr')?.getBoundingClientRect().top ?? 1e9)
                           + window.scrollY,
          figure: {x: r.left + r.width / 2, y: r.top + r.height / 2, width: r.width, natural: fig.naturalWidth}};
})()
"""

AFTER_TAP_JS = """
(() => {
  const fig = document.querySelector('label.zoom img');
  const box = fig.closest('.box');
  const b = box.getBoundingClientRect();
  return {imgWidth: fig.getBoundingClientRect().width, natural: fig.naturalWidth,
          position: getComputedStyle(box).position, boxWidth: b.width, boxHeight: b.height,
          scrollable: box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight};
})()
"""


def _tap(cdp: Cdp, x: float, y: float) -> None:
    for kind in ("mousePressed", "mouseReleased"):
        cdp.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    time.sleep(0.2)


def check_widths(
    url: str, widths: tuple[int, ...], shots: Path, height: int = 900, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Load the page once per width (phone widths emulate a mobile device): the checks of CHECKS_JS, the
    layout of LAYOUT_JS, `extra` (result key -> JavaScript expression), and a tap on the first figure (opened
    full size, then closed by a second tap)."""
    out: dict[str, Any] = {}
    with _session() as cdp:
        for w in widths:
            mobile = w < 600
            cdp.call("Emulation.setDeviceMetricsOverride", width=w, height=height, deviceScaleFactor=1, mobile=mobile)
            cdp.events.clear()
            cdp.call("Page.navigate", url=url)
            cdp.wait_for("Page.loadEventFired")
            ev = cdp.call("Runtime.evaluate", expression=CHECKS_JS, awaitPromise=True, returnByValue=True)
            res = ev["result"]["value"]
            layout = cdp.call("Runtime.evaluate", expression=LAYOUT_JS, returnByValue=True)
            if "exceptionDetails" in layout:
                raise RuntimeError(f"layout check failed in the page: {layout['exceptionDetails']}")
            res |= layout["result"]["value"]
            for key, expression in (extra or {}).items():
                found = cdp.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"]
                res[key] = found.get("value")
            time.sleep(0.2)
            shot = shots / f"page-{w}.png"
            shot.write_bytes(base64.b64decode(cdp.call("Page.captureScreenshot", format="png")["data"]))
            res["screenshot"] = shot
            f = res["figure"]
            _tap(cdp, f["x"], f["y"])
            res["opened"] = cdp.call("Runtime.evaluate", expression=AFTER_TAP_JS, returnByValue=True)["result"]["value"]
            _tap(cdp, 5, 5)
            res["closed"] = cdp.call("Runtime.evaluate", expression=AFTER_TAP_JS, returnByValue=True)["result"]["value"]
            res["errors"] = cdp.errors()
            out[str(w)] = res
    return out


def not_blank(png: Path) -> tuple[bool, str]:
    """A screenshot with real content: many distinct colours and dark pixels (text) on the background."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(png).convert("L"))
    dark = float((img < 128).mean())
    colours = len(np.unique(img))
    return (dark > 0.005 and colours > 16 and img.std() > 5), f"dark share {dark:.4f}, grey levels {colours}"


if __name__ == "__main__":  # check a built page by hand: python tests/browser.py ROOT SCREENSHOT.png
    import sys
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    handler = partial(SimpleHTTPRequestHandler, directory=os.fspath(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps(check_page(f"http://127.0.0.1:{server.server_port}/report/index.html", out), indent=1))
    print(not_blank(out))
    server.shutdown()
