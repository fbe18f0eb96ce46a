"""The pages' Content-Security-Policy in a real browser: the board and the infusion page load
with no violation (their script, styles, favicon and positions all allowed), and an inline
script is blocked (so the policy is really in force, not merely sent)."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import Clinic, log_in

# Recorded from the first moment of every document, before the page's own script runs.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    [event.violatedDirective, event.blockedURI, event.sample].join(" | ")
  );
});
"""
# An inline style attribute still positions the board's blocks (style-src-attr).
POSITIONED = """
(element) => {
  const given = /top:\\s*([0-9.]+)px/.exec(element.getAttribute("style") || "");
  return given !== null && parseFloat(getComputedStyle(element).top) === parseFloat(given[1]);
}
"""


def _no_violation(page: Any, console: list[str], where: str) -> None:
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__violations")
    assert violations == [], (where, violations)
    refused = [text for text in console if "Content Security Policy" in text]
    assert refused == [], (where, refused)


def test_board_and_infusion_pages_load_without_a_policy_violation(
    page: Any, live_clinic: Clinic
) -> None:
    expect = __import__("playwright.sync_api", fromlist=["expect"]).expect
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    answers: dict[str, Any] = {}
    page.on(
        "response",
        lambda response: answers.setdefault(response.url.split("?")[0], response),
    )

    log_in(page, live_clinic.base_url, *live_clinic.staff)
    expect(page).to_have_url(re.compile(r"/board$"))
    page.goto(f"{live_clinic.base_url}/board?date={live_clinic.day.isoformat()}")
    board = answers[live_clinic.base_url + "/board"]
    assert "script-src 'self'" in board.headers["content-security-policy"]
    expect(page.locator("div.session").first).to_be_visible()
    assert page.locator("div.session").first.evaluate(POSITIONED)
    _no_violation(page, console, "board")

    page.locator("a.infusion-body").first.click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+$"))
    infusion = answers[page.url]
    assert "script-src 'self'" in infusion.headers["content-security-policy"]
    expect(page.locator("svg.tl")).to_be_visible()
    _no_violation(page, console, "infusion")

    # The control: an inline script added to the page is refused and reported.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inlineRan = true";
          document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__inlineRan") is None
    (violation,) = page.evaluate("window.__violations")
    assert violation.startswith("script-src"), violation
