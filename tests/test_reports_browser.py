"""数据统计 in headless Chromium: the county admin opens the page and every chart is drawn by ECharts."""
import os
import re
import shutil

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser

# For one chart element: its ECharts series data and how many canvas pixels are painted.
_DRAWN = """el => {
  const chart = echarts.getInstanceByDom(el);
  const series = chart ? chart.getOption().series : [];
  const canvas = el.querySelector('canvas');
  let painted = 0;
  if (canvas) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  }
  const data = series.length ? series[0].data.map(d => typeof d === 'object' ? d.value : d) : [];
  return {type: series.length ? series[0].type : null, data: data, painted: painted,
          width: canvas ? canvas.width : 0};
}"""


def test_county_admin_sees_the_charts_drawn(live_server, browser_page, tmp_path):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.click("nav.sidebar a[data-menu=stats]")
    page.wait_for_selector("#chart-category canvas")
    total = int(re.search(r"共\s*(\d+)\s*人", page.locator("[data-testid=stats-total]").inner_text()).group(1))
    assert total == 8                        # the demo's eight applicants

    for key in ("category", "sex", "age", "job", "education", "entered"):
        drawn = page.locator(f"#chart-{key}").evaluate(_DRAWN)
        assert drawn["width"] > 0 and drawn["painted"] > 1000, (key, drawn)
        assert drawn["data"] and sum(drawn["data"]) == total, (key, drawn)
    assert page.locator("#chart-sex").evaluate(_DRAWN)["type"] == "pie"
    assert page.locator("#chart-education").evaluate(_DRAWN)["type"] == "bar"
    # A screenshot for a human look at the charts; BROWSER_SCREENSHOTS=dir keeps a copy.
    shot = tmp_path / "stats_all.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("BROWSER_SCREENSHOTS"):
        os.makedirs(os.environ["BROWSER_SCREENSHOTS"], exist_ok=True)
        shutil.copy(shot, os.environ["BROWSER_SCREENSHOTS"])

    # Another view, through its tab: the 入党申请人 charts group by step.
    page.click("nav.tabs a[data-view=applicant]")
    page.wait_for_selector("#chart-category canvas")
    steps = page.locator("[data-testid=chart-table-category] td").all_text_contents()  # inside a closed <details>
    assert any(text.startswith("第") and "步" in text for text in steps), steps
    assert sum(page.locator("#chart-category").evaluate(_DRAWN)["data"]) > 0

    with page.expect_download() as download:
        page.click("a[data-download=sex]")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert page.js_errors == []


def test_logic_checks_count_to_list_to_person(live_server, browser_page):
    """逻辑校验: a count opens the failing persons, a name opens that person's 发展流程 page."""
    page = browser_page
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.click("nav.sidebar a[data-menu=checks]")
    # The demo's applicant left at step 2 since 2020 has had no talk for over a month (R02).
    count = page.locator("tr[data-check=R02] a[data-count]")
    assert int(count.inner_text()) >= 1
    count.click()
    page.wait_for_selector("[data-testid=check-persons]")
    assert "收到入党申请后超过一个月未派人谈话" in page.locator("h1").inner_text()
    name = page.locator("[data-testid=check-persons] td a").first
    person_name = name.inner_text()
    name.click()
    page.wait_for_url("**/process/*")
    assert person_name in page.content()
    assert page.js_errors == []
