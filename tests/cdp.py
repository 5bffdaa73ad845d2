"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (stdlib only): the
review-page tests click, type and press keys as a person would, and catch real downloads.

The pipe needs no port and no websocket library: Chromium reads commands on fd 3 and writes
replies and events on fd 4, each a JSON object ended by a NUL byte.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if shutil.which(n)), None)
FLAGS = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
         "--mute-audio", "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars",
         "--window-size=1280,900"]


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, profile: Path, downloads: Path, timeout: float = 30.0):
        self.timeout = timeout
        self.downloads = downloads
        downloads.mkdir(parents=True, exist_ok=True)
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # the child's ends moved above 9, so that bash's "3<&N" never meets N == 3 or 4
        to_chrome_r, from_chrome_w = (self._high(to_chrome_r), self._high(from_chrome_w))
        # bash puts the pipe ends on the fds Chromium expects (3: commands in, 4: replies out)
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} '
                           f'{to_chrome_r}<&- {from_chrome_w}>&-',
             CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.session = None
        tid = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        self.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads),
                                                  "eventsEnabled": True}, browser=True)
        self.call("Page.enable")
        self.call("Runtime.enable")

    @staticmethod
    def _high(fd: int) -> int:
        new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return new

    # -- transport
    def _send(self, msg: dict) -> None:
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._w, data)
            data = data[n:]

    def _read_one(self, deadline: float) -> dict | None:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise CDPError("Chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, browser: bool = False) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        self._send(msg)
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_one(deadline)
            if m is None:
                raise CDPError(f"no reply to {method}")
            if m.get("id") == self._id:
                if "error" in m:
                    raise CDPError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, pred=lambda p: True, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and pred(e.get("params", {})):
                    return self.events.pop(i)["params"]
            m = self._read_one(deadline)
            if m is None:
                raise CDPError(f"no {method} event")
            self.events.append(m)

    # -- page
    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def reload(self) -> None:
        self.events.clear()
        self.call("Page.reload", {"ignoreCache": True})
        self.wait_event("Page.loadEventFired")

    def js(self, expr: str):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CDPError(f"{expr[:80]}: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r["result"].get("value")

    def center(self, selector: str) -> tuple[float, float]:
        box = self.js(f"""(function () {{
            var el = document.querySelector({json.dumps(selector)});
            if (!el) {{ return null; }}
            el.scrollIntoView({{block: 'center'}});
            var r = el.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];
        }})()""")
        if box is None:
            raise CDPError(f"nothing matches {selector}")
        return box[0], box[1]

    def click(self, selector: str, count: int = 1) -> None:
        x, y = self.center(selector)
        for n in range(1, count + 1):
            for kind in ("mousePressed", "mouseReleased"):
                self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                       "clickCount": n})

    def key(self, key: str) -> None:
        codes = {"Enter": 13, "Escape": 27}
        p = {"key": key, "windowsVirtualKeyCode": codes.get(key, ord(key.upper()) if len(key) == 1 else 0)}
        if key == "Enter":
            p["text"] = "\r"
        elif len(key) == 1:
            p["text"] = key
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **p})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **p})

    def type(self, text: str) -> None:
        self.call("Input.insertText", {"text": text})

    def download(self, selector: str, timeout: float = 15.0) -> Path:
        """Click a download button; the file Chromium saved."""
        self.click(selector)
        begin = self.wait_event("Browser.downloadWillBegin", timeout=timeout)
        self.wait_event("Browser.downloadProgress",
                        lambda p: p.get("guid") == begin["guid"] and p.get("state") == "completed",
                        timeout=timeout)
        return self.downloads / begin["suggestedFilename"]

    def close(self) -> None:
        try:
            self.call("Browser.close", browser=True)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
