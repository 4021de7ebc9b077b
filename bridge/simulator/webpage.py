"""Stand-in for the iSolarCloud authorisation web page (the sim also plays the web host).

The real page is a single-page app: `<web>?state=XYZ#/authorized-app?cloudId=..&...`.
Browsers never send the fragment, so `GET /` serves a tiny page whose script reads it and
offers an "Authorize" button leading to `GET /authorized-app?...&state=..`, which answers
302 to `redirectUrl?code=XXXXXX[&state=..]` (auto-consent for every plant)."""

from __future__ import annotations

import html

import httpx

LANDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iSolarCloud (simulator): authorize app</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}
button{font-size:1.2em;padding:.5em 2em}</style></head>
<body><h1>iSolarCloud simulator</h1>
<p>An application asks to read the data of your plants. This simulated owner account
authorises every plant of the simulator.</p>
<p id="info"></p>
<button id="go" disabled>Authorize</button>
<script>
const hash = location.hash.replace(/^#\\/?/, "");
const q = hash.indexOf("?");
const route = q < 0 ? hash : hash.slice(0, q);
const params = new URLSearchParams(q < 0 ? "" : hash.slice(q + 1));
const state = new URLSearchParams(location.search).get("state");
if (state !== null) params.set("state", state);
const info = document.getElementById("info");
const go = document.getElementById("go");
if (route !== "authorized-app" || !params.get("applicationId")) {
  info.textContent = "This link is not an authorisation link (expected #/authorized-app?...).";
} else {
  info.textContent = "Application " + params.get("applicationId") +
    " will be sent back to " + params.get("redirectUrl");
  go.disabled = false;
  go.onclick = () => { location.href = "/authorized-app?" + params.toString(); };
}
</script></body></html>
"""

ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iSolarCloud (simulator)</title></head>
<body><h1>Authorization failed</h1><p>{reason}</p></body></html>
"""


def html_response(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, headers={"content-type": "text/html;charset=UTF-8"}, content=body.encode()
    )


def error_page(reason: str) -> httpx.Response:
    """Like the real `#/apiAuth/detail` page of a misconfigured app: no redirect."""
    return html_response(ERROR_PAGE.format(reason=html.escape(reason)))


def redirect(location: str) -> httpx.Response:
    return httpx.Response(
        302, headers={"location": location, "content-type": "text/plain"}, content=b""
    )
