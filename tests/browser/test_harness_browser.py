"""The browser harness itself: Lab runs a notebook, widgets sync both ways, nothing leaves the machine.

Kept small (one ipywidgets slider) so that a failure here points at the harness, not at a widget.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def slider_nb(open_notebook):
    nb = open_notebook(
        "harness.ipynb",
        [
            """
            import ipywidgets as widgets
            s = widgets.IntSlider(value=3, min=0, max=10, description="probe")
            s
            """,
            "print('second cell ran')",
        ],
    )
    nb.run_all()
    return nb


def test_notebook_runs_and_widget_renders(slider_nb):
    slider = slider_nb.output(0).locator(".widget-slider")
    slider.wait_for(state="visible")
    assert "second cell ran" in slider_nb.output(1).inner_text()
    assert slider_nb.kernel.eval_json("s.value") == 3


def test_python_to_browser(slider_nb):
    readout = slider_nb.output(0).locator(".widget-readout")
    slider_nb.kernel.execute("s.value = 7")
    readout.filter(has_text="7").wait_for()


def test_browser_to_python(slider_nb):
    handle = slider_nb.output(0).locator(".noUi-handle")
    handle.focus()
    start = slider_nb.kernel.eval_json("s.value")
    slider_nb.page.keyboard.press("ArrowRight")
    assert slider_nb.kernel.wait_for("s.value", lambda v: v == start + 1) == start + 1


def test_python_errors_are_reported(slider_nb):
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        slider_nb.kernel.execute("1/0")


def test_requests_leaving_the_machine_are_caught(slider_nb, lab_context):
    _, guard = lab_context
    before = len(guard.blocked)
    slider_nb.page.evaluate("() => fetch('https://cdn.example.invalid/lib.js').catch(() => null)")
    try:
        assert any("cdn.example.invalid" in u for u in guard.blocked[before:])
        with pytest.raises(AssertionError, match="outside 127.0.0.1"):
            guard.check()
    finally:
        del guard.blocked[before:]


def test_uncaught_page_errors_are_caught(slider_nb, lab_context):
    _, guard = lab_context
    before = len(guard.page_errors)
    slider_nb.page.evaluate("() => { setTimeout(() => { throw new Error('probe-failure'); }, 0); }")
    slider_nb.page.wait_for_timeout(200)
    try:
        assert any("probe-failure" in e for e in guard.page_errors[before:])
        with pytest.raises(AssertionError, match="uncaught JavaScript"):
            guard.check()
    finally:
        del guard.page_errors[before:]
