"""What the browser journeys share: keyboard-only checks and operation, and reading the audit log.

The keyboard check walks a page with the Tab key alone, as a keyboard user would, and asserts that
- the first stop is the skip link, shown when focused, and that following it moves focus into the main content;
- every visible control of the page (links, buttons, fields, scroll regions) is reached; a radio group counts as
  reached when one of its buttons is (the arrow keys move within it);
- every stop shows a focus indicator (an outline or a ring), and no positive tabindex reorders the page.
"""

import re

from tests.e2e.conftest import check_page

# Records each focus stop in the page: what it is, and whether it shows a focus indicator at that moment.
_FOCUS_LOG = """() => {
  window.__focusLog = [];
  if (window.__focusLogInstalled) return;
  window.__focusLogInstalled = true;
  document.addEventListener('focusin', (event) => {
    const el = event.target;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const ring = style.boxShadow && style.boxShadow !== 'none';
    el.setAttribute('data-keyboard-reached', '');
    if (!el.dataset.keyboardStop) {
      window.__keyboardStops = (window.__keyboardStops || 0) + 1;
      el.dataset.keyboardStop = String(window.__keyboardStops);
    }
    window.__focusLog.push({
      stop: el.dataset.keyboardStop,
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: el.getAttribute('name') || '',
      text: (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60),
      href: el.getAttribute('href') || '',
      indicator: outline || ring,
      focusVisible: el.matches(':focus-visible'),
      visible: box.width > 0 && box.height > 0,
    });
  }, true);
}"""

# The controls a keyboard user must be able to reach: visible, enabled, not taken out of the tab order.
_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]';
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const clipped = el.closest('.visually-hidden') && !el.classList.contains('skip-link');
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && !clipped;
  };
  const controls = [...document.querySelectorAll(selector)].filter(
    (el) => !el.disabled && el.tabIndex >= 0 && el.getAttribute('tabindex') !== '-1' && visible(el));
  const label = (el) => el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('href') || '';
  const describe = (el) => `${el.tagName.toLowerCase()}#${el.id || ''} ${el.getAttribute('name') || ''} ` +
    label(el).trim().slice(0, 50);
  const reachedGroups = new Set(controls.filter((el) => el.type === 'radio' && el.hasAttribute('data-keyboard-reached'))
    .map((el) => el.form ? el.form.id + '/' + el.name : el.name));
  const missed = controls.filter((el) => !el.hasAttribute('data-keyboard-reached') &&
    !(el.type === 'radio' && reachedGroups.has(el.form ? el.form.id + '/' + el.name : el.name)));
  return {
    count: controls.length,
    missed: missed.map(describe),
    positive: [...document.querySelectorAll('[tabindex]')].filter((el) => el.tabIndex > 0).map(describe),
  };
}"""


# A name for the element that has the focus (None when it is the page itself), the same at each visit.
_CURRENT_STOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.dataset.keyboardStop) {
    window.__keyboardStops = (window.__keyboardStops || 0) + 1;
    el.dataset.keyboardStop = String(window.__keyboardStops);
  }
  return el.dataset.keyboardStop;
}"""


def keyboard_check(page, name: str) -> list[dict]:
    """Walk the page (just loaded, focus at its top) with Tab alone; returns the focus stops in order."""
    page.evaluate(_FOCUS_LOG)
    controls = page.evaluate(_CONTROLS)
    assert controls["positive"] == [], f"{name}: a positive tabindex reorders the page: {controls['positive']}"

    skip = page.locator("a.skip-link")
    if skip.count():
        if page.evaluate(_CURRENT_STOP) is not None:
            # A field focused on load (the log-in form's username): the skip link is the stop before it.
            tab_to(page, skip, backwards=True, limit=controls["count"] + 2)
        else:
            page.keyboard.press("Tab")
        assert skip.evaluate("el => el === document.activeElement"), f"{name}: the first Tab stop is not the skip link"
        box = skip.bounding_box()
        assert box and box["y"] >= 0 and box["height"] > 1, f"{name}: the focused skip link is not shown"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement && document.activeElement.id") == "main", (
            f"{name}: the skip link does not move focus to the main content"
        )
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('main, footer')"), (
            f"{name}: after the skip link, Tab does not continue in the main content"
        )
        # Back to the top, without the mouse: Shift+Tab up to the first stop (the skip link) again.
        for _ in range(controls["count"] + 2):
            if skip.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("Shift+Tab")
        assert skip.evaluate("el => el === document.activeElement"), f"{name}: Shift+Tab does not lead back to the top"
    # Forward through the whole page from its first stop, until focus leaves the page or comes back to that stop.
    page.evaluate("window.__focusLog = []")
    first = page.evaluate(_CURRENT_STOP)
    if first is not None:
        skip.evaluate("el => el.setAttribute('data-keyboard-reached', '')")
    # Tab in bursts, then ask whether focus has left the page or come round to the first stop again.
    burst = 10
    for _ in range((2 * controls["count"] + 20) // burst + 1):
        for _ in range(burst):
            page.keyboard.press("Tab")
        done = page.evaluate(
            """(first) => {
                const el = document.activeElement;
                const log = window.__focusLog.map((stop) => stop.stop);
                const start = first || log[0];
                return !el || el === document.body || log.slice(first ? 0 : 1).includes(start);
            }""",
            first,
        )
        if done:
            break
    stops = page.evaluate("window.__focusLog")
    missed = page.evaluate(_CONTROLS)["missed"]
    assert missed == [], (
        f"{name}: not reachable with the Tab key: {missed[:8]} (the walk stopped after {len(stops)} stops, "
        f"at {stops[-1] if stops else None})"
    )
    without = [stop for stop in stops if stop["tag"] != "main" and not stop["indicator"]]
    assert without == [], f"{name}: focus not visible on {without[:5]}"
    return stops


def check_page_and_keyboard(page, name: str) -> list[dict]:
    """axe-core (no serious or critical WCAG 2.1 AA violation), a screenshot, then the keyboard walk."""
    check_page(page, name)
    return keyboard_check(page, name)


# Keyboard operation ---------------------------------------------------------------------------------------


def tab_to(page, locator, *, limit: int = 400, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus; fails if it is not reached within ``limit``."""
    key = "Shift+Tab" if backwards else "Tab"
    # The target is found once and marked: each step then asks the page one cheap question.
    locator.evaluate("el => el.setAttribute('data-tab-target', '')")
    try:
        for _ in range(limit):
            if page.evaluate(
                "() => !!document.activeElement && document.activeElement.hasAttribute('data-tab-target')"
            ):
                return
            page.keyboard.press(key)
        raise AssertionError(f"{locator} was not reached with the {key} key")
    finally:
        page.evaluate(
            "() => document.querySelectorAll('[data-tab-target]').forEach(el => el.removeAttribute('data-tab-target'))"
        )


def type_into(page, locator, text: str) -> None:
    """Reach a text field with Tab, clear it and type, as a keyboard user would."""
    tab_to(page, locator)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def choose_radio(page, group, label: str) -> None:
    """Reach a radio group with Tab and move to the button named ``label`` with the arrow keys."""
    radios = group.get_by_role("radio")
    target = group.get_by_role("radio", name=label)
    tab_to(page, radios.first)
    page.keyboard.press("Space")  # Tab into a group with nothing chosen focuses its first button, unchecked
    for _ in range(radios.count() + 1):
        if target.is_checked():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"radio {label!r} not reached with the arrow keys")


def choose_option(page, select, label: str) -> None:
    """Reach a select with Tab and pick ``label`` with the arrow keys (no mouse, no pop-up)."""
    tab_to(page, select)
    options = select.evaluate("el => [...el.options].map(o => o.label)")
    target = options.index(label)
    current = select.evaluate("el => el.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    assert select.evaluate("el => el.options[el.selectedIndex].label") == label


def submit_with_enter(page, field) -> None:
    """Submit the form of a text field by pressing Enter in it, and wait for the next page."""
    with page.expect_navigation():
        field.press("Enter")


def activate(page, control) -> None:
    """Reach a link or button with Tab and activate it with Enter; waits for the next page."""
    tab_to(page, control)
    with page.expect_navigation():
        page.keyboard.press("Enter")


# The audit log --------------------------------------------------------------------------------------------


def audit_rows(page) -> list[dict]:
    """The rows of the audit log table on the page, as text by column."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table.audit-log tbody tr')].map((row) => {
            const cells = [...row.querySelectorAll('td')].map((td) => td.innerText.replace(/\\s+/g, ' ').trim());
            const [when, who, object, what, reason, changes] = cells;
            return {when, who, object, what, reason, changes};
        })"""
    )


def audit_log_for(page, *, user: str = "", model: str = "", object_id: str = "", transition: str = "") -> list[dict]:
    """Filter the audit log through its form (as the auditor would) and read the rows shown."""
    page.goto("/audit/")
    form = page.locator("form.audit-filters")
    if model:
        form.get_by_label("Object type").select_option(model)
    if object_id:
        form.get_by_label("Object id").fill(object_id)
    if user:
        form.get_by_label("User (username)").fill(user)
    if transition:
        form.get_by_label("Transition").fill(transition)
    with page.expect_navigation():
        form.get_by_role("button", name="Apply filters").click()
    return audit_rows(page)


def find_row(rows: list[dict], **expected: str) -> dict:
    """The first row whose columns contain each expected text (a regular expression)."""
    for row in rows:
        if all(re.search(pattern, row[column]) for column, pattern in expected.items()):
            return row
    seen = [(row["who"].split()[0], row["object"], row["what"], row["reason"]) for row in rows]
    raise AssertionError(f"no audit row with {expected}; rows: {seen}")
