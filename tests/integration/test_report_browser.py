"""Every example's report.html but four twins (and a sweep's, a walk-forward's and a paper
account's) opened in headless Chromium: no console error, no network request, every chart
drawn, the tear sheet's sections present. With HUICE_ARTIFACTS set (a folder), a full-page
screenshot of each is kept in $HUICE_ARTIFACTS/screenshots/ (about a second a page, so only
when asked for).

The browser is the system's Chromium (Debian package ``chromium``; .ci/run installs it) driven
by playwright. Without one the test is skipped, unless HUICE_REQUIRE_BROWSER=1 (as in CI), where
a missing browser fails it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

import huice
from tests.conftest import EXAMPLES, REPO
from tests.helpers.example_runs import example_output, shared_root
from tests.integration.test_report_size import MAX_REPORT_BYTES

SECTIONS = ("metrics", "yearly-returns", "monthly-returns", "drawdown-periods", "rolling",
            "trades", "orders")
# every example but those whose page is another's with other numbers: the 801050 and 801140
# published-tracking runs are the 801080 one's page, barbell_index is barbell_index_overlays'
# without its overlay charts, and the 300-vs-ChiNext flow rotation is etf_flow_rotation's page
# and the paper example's backtest is barbell_etf's page over other dates (its paper account's
# page is opened below) (each is pinned by tests/golden and its layout by its twin here)
TWINS = {"drawdown_reversion_801050_report", "drawdown_reversion_801140_report", "barbell_index",
         "etf_flow_rotation_300_vs_chinext", "paper_barbell_etf"}
EXAMPLE_CONFIGS = sorted(p for p in EXAMPLES.glob("*.yaml")
                         if not p.stem.startswith(("sweep_", "walk_forward_"))
                         and p.stem not in TWINS)
ARTIFACTS = (Path(os.environ["HUICE_ARTIFACTS"]) / "screenshots"
             if os.environ.get("HUICE_ARTIFACTS") else None)
# what a reader would see wrong: tick labels drawn outside their chart's box (clipped by the
# page) or over each other on one axis; a legend entry cut by its legend's box or the chart's;
# the chart's controls (the linear / log buttons, plotly's toolbar, the legend, the title) over
# each other; and anything that makes the page wider than the window (a table that does not
# scroll inside its box). The toolbar shows on hover only, but where it would show counts.
LAYOUT = """() => {
  const found = {clipped: [], overlapping_ticks: [], legend: [], controls: []};
  const seen = r => r && r.width > 0 && r.height > 0;
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
                         Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const outside = (r, box) => r.left < box.left - 1 || r.right > box.right + 1 ||
                              r.top < box.top - 1 || r.bottom > box.bottom + 1;
  for (const div of document.querySelectorAll('div.chart')) {
    const box = div.getBoundingClientRect();
    for (const t of div.querySelectorAll('g.ytick text, g.y2tick text')) {
      const r = t.getBoundingClientRect();
      if (r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1))
        found.clipped.push(div.id + ': ' + t.textContent);
    }
    for (const layer of div.querySelectorAll('g.xaxislayer-above, g.yaxislayer-above')) {
      const labels = Array.from(layer.querySelectorAll('text'))
        .map(t => ({text: t.textContent, r: t.getBoundingClientRect()})).filter(l => seen(l.r));
      for (let i = 0; i < labels.length; i++)
        for (let j = i + 1; j < labels.length; j++)
          if (meet(labels[i].r, labels[j].r))
            found.overlapping_ticks.push(div.id + ': ' + labels[i].text + ' / ' + labels[j].text);
    }
    const controls = [];
    for (const legend of div.querySelectorAll('g.legend')) {
      const bg = legend.querySelector('rect.bg');
      const back = bg ? bg.getBoundingClientRect() : null;
      if (seen(back)) controls.push(['legend', back]);
      for (const entry of legend.querySelectorAll('g.traces')) {
        const words = entry.querySelector('text.legendtext');
        const r = words ? words.getBoundingClientRect() : null;
        if (!seen(r)) continue;
        if ((back && outside(r, back)) || outside(r, box))
          found.legend.push(div.id + ': ' + words.textContent);
      }
    }
    for (const menu of div.querySelectorAll('g.updatemenu-container'))
      if (seen(menu.getBoundingClientRect())) controls.push(['buttons', menu.getBoundingClientRect()]);
    const bar = div.querySelector('div.modebar');
    if (bar && seen(bar.getBoundingClientRect())) controls.push(['toolbar', bar.getBoundingClientRect()]);
    for (const title of div.querySelectorAll('g.g-gtitle text'))
      if (seen(title.getBoundingClientRect())) controls.push(['title', title.getBoundingClientRect()]);
    for (let i = 0; i < controls.length; i++)
      for (let j = i + 1; j < controls.length; j++)
        if (meet(controls[i][1], controls[j][1]))
          found.controls.push(div.id + ': ' + controls[i][0] + ' over ' + controls[j][0]);
  }
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  found.overflow = wide ? document.documentElement.scrollWidth : 0;
  return found;
}"""
DRAWN = """() => Array.from(document.querySelectorAll('div.chart')).map(div => ({
    id: div.id,
    svg: div.querySelectorAll('svg.main-svg').length,
    marks: div.querySelectorAll('g.trace, g.hm, image, path.js-fill, path.js-line').length}))"""


def chromium_path() -> str | None:
    for candidate in (os.environ.get("HUICE_CHROMIUM"), "chromium", "chromium-browser",
                      "google-chrome", "google-chrome-stable"):
        if candidate and (shutil.which(candidate) or Path(candidate).is_file()):
            return shutil.which(candidate) or candidate
    return None


BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def playwright():
    """playwright and the system's Chromium (one playwright per process: it cannot nest)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    if executable is None:
        if os.environ.get("HUICE_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium found (apt-get install chromium, or set HUICE_CHROMIUM)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    with playwright_api.sync_playwright() as running:
        yield running, executable


@pytest.fixture(scope="module")
def browser(playwright):
    # no background networking: this machine's network is closed, and the test is about
    # what the page requests, not what the browser does for itself
    running, executable = playwright
    launched = running.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
    yield launched
    launched.close()


def open_report(browser, report: Path, shot_name: str,
                probe: tuple[str, object] | None = None) -> dict:
    """Load ``report`` and return what the page did: errors, requests, charts (and, with a
    ``probe`` (script, argument), what that script returned on the page, as ``probed``)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.resolve().as_uri(), wait_until="load")
    page.wait_for_function("() => Array.from(document.querySelectorAll('div.chart'))"
                           ".every(d => d.querySelector('svg.main-svg'))", timeout=30_000)
    page.evaluate("() => document.fonts.ready")
    charts = page.evaluate(DRAWN)
    layout = {1280: page.evaluate(LAYOUT)}
    page.set_viewport_size({"width": 1920, "height": 1000})
    page.wait_for_timeout(200)
    layout[1920] = page.evaluate(LAYOUT)
    page.set_viewport_size({"width": 1280, "height": 900})
    ids = page.evaluate("() => Array.from(document.querySelectorAll('section[id]'))"
                        ".map(s => s.id)")
    if ARTIFACTS is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # JPEG: a full page in PNG takes about a second to encode
        page.screenshot(path=str(ARTIFACTS / f"{shot_name}.jpg"), full_page=True, type="jpeg",
                        quality=70)
    probed = page.evaluate(*probe) if probe is not None else None
    page.close()
    outside = [url for url in requests if url != report.resolve().as_uri()]
    return {"errors": errors, "requests": outside, "charts": charts, "sections": ids,
            "layout": layout, "probed": probed, "bytes": report.stat().st_size}


def assert_clean(seen: dict) -> None:
    assert seen["errors"] == []
    assert seen["requests"] == []
    assert seen["charts"], "no chart on the page"
    assert seen["bytes"] < MAX_REPORT_BYTES, f"the page is {seen['bytes'] / 1e6:.2f} MB"
    for chart in seen["charts"]:
        assert chart["svg"] > 0 and chart["marks"] > 0, f"chart {chart['id']} did not draw"
    for width, found in seen["layout"].items():
        for defect in ("clipped", "overlapping_ticks", "legend", "controls"):
            assert found[defect] == [], (width, defect, found[defect][:5])
        assert found["overflow"] == 0, f"the page is {found['overflow']} px wide at {width} px"


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=lambda p: p.stem)
def test_example_report_opens_in_chromium(browser, config, tmp_path_factory):
    # the fast runner writes the same bytes as Cerebro (tests/test_golden.py) in a fraction of
    # the time, and its run of each example is made once a session (the golden test reads it
    # too); what is tested here is the page
    out = example_output(config, shared_root(tmp_path_factory))
    seen = open_report(browser, out / "report.html", config.stem)
    assert_clean(seen)
    for section in SECTIONS:
        assert section in seen["sections"], section
    drawn = {chart["id"] for chart in seen["charts"]}
    assert {"chart-equity", "chart-underwater", "chart-rolling-sharpe",
            "chart-rolling-volatility", "chart-returns-histogram", "chart-costs"} <= drawn
    assert "chart-rolling-beta" in drawn or "benchmark: null" in config.read_text()


# characters drawn in a canvas with the page's own font stack. The control: two characters the
# page never uses (so not in its embedded subset) come out as the same box when no font on the
# machine has Chinese; the page's own character must be drawn, neither that box nor nothing
GLYPHS = """async ([used, unused, other]) => {
  await document.fonts.load('40px "Huice CJK"', used);
  await document.fonts.ready;
  const canvas = document.createElement('canvas');
  canvas.width = 120; canvas.height = 60;
  const g = canvas.getContext('2d');
  const draw = (text, family) => {
    g.clearRect(0, 0, 120, 60); g.fillStyle = '#000'; g.font = '40px ' + family;
    g.fillText(text, 10, 45);
    return Array.from(g.getImageData(0, 0, 120, 60).data).join(',');
  };
  const family = getComputedStyle(document.body).fontFamily;
  return {family: family, used: draw(used, family), unused: draw(unused, family),
          other: draw(other, family), blank: draw(' ', family),
          loaded: Array.from(document.fonts).filter(f => f.family.includes('Huice CJK'))
                       .map(f => f.status)};
}"""
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


@pytest.fixture(scope="module")
def browser_without_cjk_fonts(playwright, tmp_path_factory):
    """Chromium whose fontconfig knows one Latin font and no Chinese one at all."""
    running, executable = playwright
    home = tmp_path_factory.mktemp("fonts")
    (home / "fonts").mkdir()
    for latin in LATIN_FONTS:
        if Path(latin).is_file():
            shutil.copy(latin, home / "fonts")
            break
    config = home / "fonts.conf"
    config.write_text(f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{home / "fonts"}</dir><cachedir>{home / "cache"}</cachedir></fontconfig>""")
    launched = running.chromium.launch(
        executable_path=executable, env={**os.environ, "FONTCONFIG_FILE": str(config)},
        args=BROWSER_ARGS)
    yield launched
    launched.close()


# the barbell's page, and the two whose long Chinese legend entries were cut off when plotly
# measured them before the embedded font had loaded ("买入持有 801080.SI 申万电子" drawn as "申")
ZH_EXAMPLES = ("barbell_etf", "drawdown_reversion_801080", "industry_rotation")


@pytest.mark.parametrize("example", ZH_EXAMPLES)
def test_chinese_report_opens_and_draws_its_glyphs_with_no_cjk_font(
        browser_without_cjk_fonts, tmp_path, example):
    # on a machine whose only font is a Latin one: the page must be as clean as an English one
    # (its layout included) and draw its Chinese from its own embedded glyphs
    config = huice.load_config(EXAMPLES / f"{example}.yaml",
                               overrides={"report.language": "zh"})
    huice.backtest(config, runner="fast").save(tmp_path / "run")
    report = tmp_path / "run" / "report.html"
    page_text = report.read_text(encoding="utf-8")
    assert "夏普比率" in page_text
    assert "夏" in page_text and "龘" not in page_text and "龖" not in page_text
    seen = open_report(browser_without_cjk_fonts, report, f"{example}_zh_no_cjk_fonts",
                       probe=(GLYPHS, ["夏", "龘", "龖"]))
    assert_clean(seen)
    glyphs = seen["probed"]
    assert glyphs["loaded"] == ["loaded"], glyphs["loaded"]
    # the machine really has no Chinese font: two characters outside the page's subset are
    # the same box
    assert glyphs["unused"] == glyphs["other"] != glyphs["blank"]
    # and the page's own is drawn: neither that box nor nothing
    assert glyphs["used"] not in (glyphs["unused"], glyphs["blank"])


def small_sweep(name: str) -> dict:
    """An example sweep cut to three industries (the whole grid is tests/integration's)."""
    tree = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    tree["data"]["catalog"] = str(REPO / "data" / "catalog.csv")
    if "strategy.params.target" in tree["sweep"]["grid"]:
        tree["sweep"]["grid"]["strategy.params.target"] = ["801080.SI", "801050.SI",
                                                           "801140.SI"]
    if "screen" in tree["sweep"]:  # 972 combinations screened, 10 confirmed
        tree["sweep"]["screen"] = {"top": 6, "sample": 4, "seed": 0}
    if "walk_forward" in tree["sweep"]:  # 5 windows of a year's trading each, not 10
        tree["sweep"]["walk_forward"]["test_days"] = 500
    return tree


def test_sweep_and_walk_forward_reports_open_in_chromium(browser, tmp_path):
    # the screened sweep's page has every section of a sweep's (best runs, heatmap,
    # sensitivity, per instrument) after its screen section
    for name in ("sweep_screen_drawdown_10k", "walk_forward_801080"):
        huice.sweep(small_sweep(name), workers=1, out=tmp_path / name, progress=False)
        seen = open_report(browser, tmp_path / name / "report.html", name)
        assert_clean(seen)
        assert "sweep-heatmap" in {chart["id"] for chart in seen["charts"]} or \
            name.startswith("walk_forward")
        assert {"best-runs", "sensitivity"} <= set(seen["sections"])
        if name.startswith("walk_forward"):
            assert "walk-forward" in seen["sections"]
        else:
            assert seen["sections"][0] == "screen" and "per-instrument" in seen["sections"]


def test_paper_report_opens_in_chromium(browser, tmp_path):
    state = tmp_path / "paper.sqlite"
    config = huice.load_config(EXAMPLES / "paper_barbell_etf.yaml",
                               overrides={"paper.state": str(state)})
    huice.paper_run(config, once=True)
    huice.paper_report(config).save(tmp_path / "paper")
    seen = open_report(browser, tmp_path / "paper" / "report.html", "paper_barbell_etf")
    assert_clean(seen)
    assert seen["sections"][:2] == ["positions", "recent-orders"]


def in_language(config, language: str, folder):
    """``config`` itself for en; for zh a copy in ``folder`` with report.language zh (its
    catalog made absolute)."""
    if language == "en":
        return config
    tree = yaml.safe_load(config.read_text(encoding="utf-8"))
    tree["report"] = {"language": language}
    tree["data"]["catalog"] = str((config.parent / tree["data"]["catalog"]).resolve())
    copy = folder / f"{config.stem}_{language}.yaml"
    copy.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    return copy


@pytest.mark.parametrize("language", ["en", "zh"])
def test_crowding_monitor_report_opens_in_chromium(browser, tmp_path, language):
    from tests.conftest import run_cli

    config = in_language(EXAMPLES / "industry_rotation.yaml", language, tmp_path)
    result = run_cli("monitor", "crowding", str(config), "--date", "2025-03-18",
                     "--out", str(tmp_path / "crowding"))
    assert result.code == 0, result.stderr
    seen = open_report(browser, tmp_path / "crowding" / "report.html",
                       f"crowding_monitor_{language}")
    assert_clean(seen)
    assert [chart["id"] for chart in seen["charts"]] == ["crowding-heatmap"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_premium_monitor_report_opens_in_chromium(browser, tmp_path, language):
    from tests.conftest import run_cli

    out = tmp_path / f"premium_{language}"
    config = in_language(EXAMPLES / "premium_zscore.yaml", language, tmp_path)
    result = run_cli("monitor", "premium", str(config), "--date", "2022-08-31", "--out",
                     str(out))
    assert result.code == 0, result.stderr
    seen = open_report(browser, out / "report.html", f"premium_monitor_{language}")
    assert_clean(seen)
    assert [chart["id"] for chart in seen["charts"]] == ["premium-history"]
