#!/usr/bin/env python3
"""chromium_testlib.py - a real headless Chromium driven over the DevTools
protocol, for tests of the pages picket serves.

Why it exists: the watch-floor board is JavaScript that must work in a
real browser under its Content-Security-Policy; only a browser shows that.
Chromium (Debian package `chromium`) is started with
--remote-debugging-pipe: DevTools messages are NUL-terminated JSON on file
descriptors 3 (to the browser) and 4 (from it), so the test needs neither
a WebSocket client nor anything from npm: Python 3's standard library.
The browser gets a fresh profile in a temp dir and the flags that keep it
off the network (no background fetches, updates, sync or QUIC).

    b = Browser(tmpdir)            # raises Unavailable when chromium is missing
    page = b.open("http://127.0.0.1:8080/")
    page.eval("document.title")
    page.click("#pause"); page.type("#filter", "jp")
    open("shot.png", "wb").write(page.screenshot())
    b.close()
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import threading
import time

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         # Headless pages count as hidden: without these the renderer runs
         # at background priority with throttled timers, unlike a tab on
         # screen (Puppeteer and Playwright pass them for the same reason).
         "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
         "--disable-background-timer-throttling",
         "--remote-debugging-pipe", "--window-size=1600,1000"]


class Unavailable(Exception):
    """No usable Chromium on this machine (the test should skip)."""


class BrowserError(Exception):
    pass


def find_chromium():
    for c in CHROMIUM_CANDIDATES:
        if os.access(c, os.X_OK):
            return c
    return shutil.which("chromium")


class Browser:
    def __init__(self, profile_dir, exe=None, timeout=30.0):
        exe = exe or find_chromium()
        if not exe:
            raise Unavailable("chromium is not installed (Debian package: chromium)")
        self.timeout = timeout
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds():
            # In the child: the pipe ends become fds 3 and 4, inheritable.
            a = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log_path = os.path.join(profile_dir, "chromium.log")
        self._log = open(self.log_path, "wb")
        args = [exe] + FLAGS + ["--user-data-dir=" + os.path.join(profile_dir, "profile"),
                                "about:blank"]
        # A session of its own: with the kernel's autogroup scheduling the
        # browser then gets its CPU share as one program, as on a desktop,
        # rather than a slice of the test's (and ctest's) session.
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, close_fds=False, preexec_fn=wire_fds,
                                     start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._replies = {}
        self.events = []             # (sessionId, method, params) of every event
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        try:
            self.version = self.send("Browser.getVersion")
        except BrowserError as e:
            self.close()
            raise Unavailable("chromium did not answer on its DevTools pipe: %s" % e)

    # ------------------------------------------------------------ wire
    def _read_loop(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.append((msg.get("sessionId"), msg.get("method"),
                                            msg.get("params", {})))
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(self, method, params=None, session=None, timeout=None):
        with self._cond:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            os.write(self._to_browser, data)
        except OSError as e:
            raise BrowserError("%s: browser gone (%s)" % (method, e))
        end = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while mid not in self._replies:
                left = end - time.monotonic()
                if self._closed or left <= 0:
                    raise BrowserError("%s: no reply (%s)" % (
                        method, "browser exited" if self._closed else "timeout"))
                self._cond.wait(left)
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise BrowserError("%s: %s" % (method, reply["error"].get("message")))
        return reply.get("result", {})

    def wait_event(self, method, session=None, timeout=None, since=0):
        """Waits for an event (from index `since` of self.events on)."""
        end = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while True:
                for sid, m, params in self.events[since:]:
                    if m == method and (session is None or sid == session):
                        return params
                left = end - time.monotonic()
                if self._closed or left <= 0:
                    raise BrowserError("no %s event" % method)
                self._cond.wait(left)

    def raise_priority(self, nice):
        """Gives every thread of the browser's processes (the page's
        renderer, the GPU/display compositor that paces its frames, the
        browser process) this nice value where allowed (root), as a
        foreground program on a desktop has: a frame rate measured then is
        about the page's own work, not about whatever else runs beside the
        test. Returns how many threads were changed."""
        changed = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if not self._descends(int(pid)):
                    continue
                for tid in os.listdir("/proc/%s/task" % pid):
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                    changed += 1
            except OSError:
                pass
        return changed

    def _descends(self, pid):
        for _ in range(16):
            if pid == self.proc.pid:
                return True
            if pid <= 1:
                return False
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        return False

    # ------------------------------------------------------------ pages
    def open(self, url):
        """The browser's one tab (the active one: a tab opened beside it
        would be a background tab, its renderer deprioritised)."""
        end = time.monotonic() + self.timeout
        while True:
            pages = [t for t in self.send("Target.getTargets")["targetInfos"]
                     if t["type"] == "page"]
            if pages or time.monotonic() > end:
                break
            time.sleep(0.05)
        if not pages:
            raise BrowserError("no page target in the browser")
        target = pages[0]["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        # Not "Network": it would copy every EventSource message to us.
        for domain in ("Page", "Runtime", "Log"):
            self.send(domain + ".enable", session=session)
        page.goto(url)
        return page

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("Browser.close", timeout=5)
            except BrowserError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()


class Page:
    def __init__(self, browser, session):
        self.b = browser
        self.session = session

    def send(self, method, params=None, timeout=None):
        return self.b.send(method, params, session=self.session, timeout=timeout)

    def goto(self, url):
        mark = len(self.b.events)
        self.send("Page.navigate", {"url": url})
        self.b.wait_event("Page.loadEventFired", self.session, since=mark)

    def eval(self, expression, timeout=None):
        """Evaluates a JavaScript expression (promises awaited); returns its
        value as JSON-decoded Python."""
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True},
                      timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError("page exception: %s" % (
                d.get("exception", {}).get("description") or d.get("text")))
        return r["result"].get("value")

    def wait_for(self, expression, timeout=15.0, step=0.1, what=None):
        end = time.monotonic() + timeout
        while True:
            v = self.eval(expression)
            if v:
                return v
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for " + (what or expression))
            time.sleep(step)

    def center(self, selector):
        box = self.eval("(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
                        % json.dumps(selector))
        return box[0], box[1]

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        x, y = self.center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def type(self, selector, text):
        """Clicks into the element, selects what is there and types text."""
        self.click(selector)
        self.eval("document.querySelector(%s).select()" % json.dumps(selector))
        if text:
            self.send("Input.insertText", {"text": text})
        else:
            for kind in ("rawKeyDown", "keyUp"):
                self.send("Input.dispatchKeyEvent", {"type": kind, "key": "Backspace",
                                                     "code": "Backspace",
                                                     "windowsVirtualKeyCode": 8})

    def screenshot(self):
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def problems(self):
        """Console errors, uncaught exceptions and CSP reports of this page."""
        out = []
        for sid, method, p in list(self.b.events):
            if sid != self.session:
                continue
            if method == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "")[:300])
        return out

    def requested_urls(self):
        """Every URL the page loaded (its Resource Timing entries)."""
        return self.eval("[location.href].concat(performance.getEntriesByType('resource')"
                         ".map((e) => e.name))")
