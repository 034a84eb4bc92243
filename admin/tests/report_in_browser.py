#!/usr/bin/env python3
"""Loads a gcsync-admin HTML report in headless Chromium and checks it.

Talks the Chrome DevTools Protocol over --remote-debugging-pipe (fd 3 in, fd 4 out, messages
separated by NUL), so it needs only the Python standard library. Checks:
  - the page loads (Page.loadEventFired) without a console error, an uncaught exception, a log
    entry of level error, or any request other than the report file itself (the report must be
    self-contained);
  - every figure in the expectations file is what the page shows: {"#element-id": "text", ...}
    compares an element's text, {"@selector": n} counts elements matching a CSS selector, and
    {"svg@attr": "v"} reads an attribute of the chart;
  - the chart is laid out (non-zero size).
Prints one line per check; exit 0 when all pass, 1 otherwise, 2 when Chromium misbehaves.

usage: report_in_browser.py CHROMIUM REPORT.html EXPECT.json
"""
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
]


class Browser:
    def __init__(self, chromium, profile):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def wire():
            # Move both ends out of the way first, so neither is overwritten, then onto 3 and 4.
            r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, "stderr.log"), "wb"),
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.stderr_path = os.path.join(profile, "stderr.log")
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_child, 65536)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=30):
        want = self.send(method, params, session)
        deadline = time.time() + timeout
        while True:
            msg = self.read(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        for i, msg in enumerate(self.events):
            if msg.get("method") == name:
                return self.events.pop(i)
        while True:
            msg = self.read(deadline)
            self.events.append(msg)
            if msg.get("method") == name:
                return msg

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


COLLECT = r"""
(() => {
  const expect = %s;
  const out = {};
  for (const key of Object.keys(expect)) {
    if (key.startsWith('#')) {
      const el = document.getElementById(key.slice(1));
      out[key] = el ? el.textContent.trim() : null;
    } else if (key.startsWith('@')) {
      out[key] = document.querySelectorAll(key.slice(1)).length;
    } else if (key.startsWith('svg@')) {
      const svg = document.getElementById('calls-chart');
      out[key] = svg ? svg.getAttribute(key.slice(4)) : null;
    }
  }
  const svg = document.getElementById('calls-chart');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  out['chart size'] = [Math.round(box.width), Math.round(box.height)];
  return JSON.stringify(out);
})()
"""


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    chromium, report, expect_file = sys.argv[1:]
    report = os.path.abspath(report)
    expect = json.load(open(expect_file))
    url = "file://" + report
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += 0 if ok else 1

    with tempfile.TemporaryDirectory(prefix="gcsync-report-browser-") as profile:
        b = Browser(chromium, profile)
        try:
            target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Runtime", "Log", "Network", "Page"):
                b.call(f"{domain}.enable", session=session)
            b.events.clear()
            b.call("Page.navigate", {"url": url}, session=session)
            b.wait_event("Page.loadEventFired")
            result = b.call(
                "Runtime.evaluate",
                {"expression": COLLECT % json.dumps(expect), "returnByValue": True},
                session=session,
            )
            shown = json.loads(result["result"]["value"])
            time.sleep(0.2)  # let late console messages arrive
            b.call("Runtime.evaluate", {"expression": "1"}, session=session)
        except (TimeoutError, EOFError, RuntimeError) as e:
            b.proc.kill()
            err = open(b.stderr_path, "rb").read().decode(errors="replace")[-2000:]
            print(f"FAIL Chromium: {e}\n{err}")
            return 2
        finally:
            b.close()

    errors = []
    requests = []
    for ev in b.events:
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            errors.append(f"console.{p['type']}: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            errors.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            e = p["entry"]
            errors.append(f"log {e.get('level')} ({e.get('source')}): {e.get('text')}")
        elif m == "Network.requestWillBeSent":
            requests.append(p.get("request", {}).get("url", ""))
        elif m == "Network.loadingFailed":
            errors.append(f"loading failed: {p.get('errorText')}")
    check(not errors, "no console errors, exceptions or failed loads" + "".join(f"\n     {e}" for e in errors))
    others = [r for r in requests if r != url]
    check(requests[:1] == [url] and not others, f"only the report itself was loaded (requests: {requests})")
    for key, want in expect.items():
        got = shown.get(key)
        check(str(got) == str(want), f"{key}: page shows {got!r}, database holds {want!r}")
    w, h = shown.get("chart size", [0, 0])
    check(w > 100 and h > 100, f"chart laid out at {w}x{h}")
    print(f"{failures} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
