"""axe-core inside Playwright: every screen a browser test opens is checked for accessibility (issue 12).

axe-core is vendored from the npm registry (`tests/browser/vendor/axe-core/`, MPL-2.0; `npm pack axe-core`,
version in VERSION) and evaluated through the DevTools protocol, so the page's Content-Security-Policy stays
as in production. A screen passes when axe finds no `serious` or `critical` violation under WCAG 2.1 A/AA
and axe's best practices; `minor` and `moderate` findings are returned for the caller to look at.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# What page.evaluate raises when the document it ran in was replaced by a navigation under way.
NAVIGATING = ("reading 'documentElement'", "Execution context was destroyed", "axe is not defined")
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
    // No CSSOM preload: it re-creates each linked stylesheet as a <style> element, which the page's CSP refuses
    // (and test_csp.py would report); only css-orientation-lock reads it.
    preload: false,
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """axe-core's violations of the page once it has loaded: `id`, `impact`, `help` and up to five `targets`.

    A click on a link returns before the next document exists; axe run in between finds no document (or has
    its context destroyed by the navigation). The page is then waited for and axe run again on the new
    document, at most three times.
    """
    for attempt in range(1, 4):
        page.wait_for_load_state("load")
        try:
            if not page.evaluate("typeof window.axe !== 'undefined'"):
                page.evaluate(_source())
            return page.evaluate(RUN)
        except PlaywrightError as error:
            if attempt == 3 or not any(sign in str(error) for sign in NAVIGATING):
                raise
            page.wait_for_timeout(100 * attempt)


def assert_accessible(page, screen: str = "") -> list[dict]:
    """Fail on any serious or critical violation of the current screen; return the lesser ones."""
    found = violations(page)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    where = screen or page.url
    assert not blocking, f"axe-core on {where}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}" for v in blocking
    )
    return [v for v in found if v["impact"] not in BLOCKING]
