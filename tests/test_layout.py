"""The package layout: one import root, import floors between layers and inside the engine,
small modules, and a wheel that installs nothing generic at the top of site-packages."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SRC = REPO / "src"
LINKED = ("engine", "config", "feeds", "strategies", "data")  # src/huice/<name> -> ../../<name>
MAX_MODULE_LINES = 400

# Which huice packages each layer may import (besides itself). Data flows one way:
# config/feeds -> engine.broker -> engine.results -> engine.run -> engine.paper/engine.sweep
# -> strategies -> the API and CLI (src/huice).
FLOORS = {
    "huice.config": {"huice.config"},
    "huice.feeds": {"huice.feeds", "huice.config"},
    "huice.engine.broker": {"huice.engine.broker", "huice.feeds", "huice.config"},
    "huice.engine.results": {"huice.engine.results", "huice.engine.broker", "huice.feeds",
                             "huice.config"},
    "huice.engine.run": {"huice.engine.run", "huice.engine.results", "huice.engine.broker",
                         "huice.feeds", "huice.config"},
    "huice.engine.paper": {"huice.engine.paper", "huice.engine.run", "huice.engine.results",
                           "huice.engine.broker", "huice.feeds", "huice.config"},
    "huice.engine.sweep": {"huice.engine.sweep", "huice.engine.run", "huice.engine.results",
                           "huice.engine.broker", "huice.feeds", "huice.config"},
    "huice.strategies": {"huice.strategies", "huice.engine", "huice.feeds", "huice.config"},
}


def package_folder(package: str) -> Path:
    """The folder of a dotted huice package: its path under src/ (through the symlinks)."""
    return SRC / Path(*package.split("."))


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in PYPROJECT["tool"]["setuptools"]["packages"]:
        for path in sorted(package_folder(package).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found.append((name, path))
    return found


def huice_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n == "huice" or n.startswith("huice.")}


def test_every_package_folder_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    for root in ("config", "feeds", "strategies", "engine", "src/huice"):
        for init in (REPO / root).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO)
            top = {"config": "huice.config", "feeds": "huice.feeds", "engine": "huice.engine",
                   "strategies": "huice.strategies", "src": "huice"}[relative.parts[0]]
            inner = relative.parts[2:] if relative.parts[0] == "src" else relative.parts[1:]
            assert ".".join((top, *inner)) in listed, f"{relative} is not in pyproject packages"


def test_no_generic_top_level_imports_remain():
    for name, path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert node.module.split(".")[0] not in {"config", "engine", "feeds",
                                                         "strategies", "run"}, (name, node.module)


@pytest.mark.parametrize("layer", sorted(FLOORS))
def test_import_floors(layer):
    allowed = FLOORS[layer]
    for name, path in modules():
        if name != layer and not name.startswith(layer + "."):
            continue
        for imported in huice_imports(path):
            assert any(imported == a or imported.startswith(a + ".") for a in allowed), \
                f"{name} imports {imported}: {layer} may import only {sorted(allowed)}"


def test_the_engine_never_imports_strategies_or_the_api():
    for name, path in modules():
        if name.startswith("huice.engine"):
            for imported in huice_imports(path):
                assert not imported.startswith(("huice.strategies", "huice.api", "huice.cli")), \
                    (name, imported)


def test_modules_are_small():
    for name, path in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines (at most {MAX_MODULE_LINES})"


@pytest.mark.slow
def test_wheel_has_one_import_root_and_runs_outside_the_repo(tmp_path):
    """Build the wheel offline, install it into a folder, and run the API from the repo root:
    the installed package (not the checkout) answers, with the CLI's figures."""
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(tmp_path / "wheel"),
                            str(REPO)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "wheel").glob("huice-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"huice", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    assert "huice/data/catalog.csv" in names and "huice/engine/broker/ashare.py" in names
    assert "huice/engine/results/labels.yaml" in names  # the report's words
    # the report's vendored plotly.js and Chinese font, with their licences
    assert {"huice/engine/results/assets/plotly-cartesian-4.1.1.min.js",
            "huice/engine/results/assets/huice-cjk-wqy-microhei-subset.woff",
            "huice/engine/results/assets/plotly.js-LICENSE.txt",
            "huice/engine/results/assets/wqy-microhei-LICENSE.txt"} <= set(names)
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                              "--target", str(target), str(wheel)], capture_output=True,
                             text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    script = ("import huice; r = huice.backtest('config/examples/barbell_etf.yaml'); "
              "page = r.report_html(); assert 'Sharpe ratio' in page and '@font-face' in page; "
              "print(huice.__file__); print(repr(r.metrics.total_return))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    location, figure = run.stdout.split()
    assert location.startswith(str(target))
    out = tmp_path / "cli"
    cli = subprocess.run([sys.executable, str(REPO / "run.py"), "backtest",
                          "config/examples/barbell_etf.yaml", "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    import json
    assert float(figure) == json.loads((out / "metrics.json").read_text())["total_return"]


def test_broker_rules_have_one_owner():
    """Lots and ticks are the rules object's (engine/broker/rules.py), execution modes are an
    enum compared by the broker alone, and nothing reads the wording of a refusal."""
    import re

    owners = {"engine/broker/rules.py", "engine/broker/money.py"}
    patterns = {
        "lot arithmetic": re.compile(r"[*/+%-]\s*\w*rules?\.lot\b|\.lot\s*[*/+%-]|"
                                     r"\w+\s*%\s*\w*\.lot\b"),
        "tick arithmetic": re.compile(r"[*/%]\s*\w*rules?\.tick\b(?!_)"),
        "tick rounding": re.compile(r"\b(ceil|floor|round)_to_tick\("),
        "execution as a string": re.compile(r"execution\s*[!=]=\s*[\"']|[\"'](open|close|vwap)"
                                            r"[\"']\s*[!=]=\s*\w*execution"),
        "reading a refusal's words": re.compile(r"reasons?\W*\.\s*startswith\(|"
                                                r"[\"'](T\+1|cash short|zero lot)[\"']\s+in\s"),
    }
    found = []
    for folder in ("engine", "src", "strategies", "feeds", "config"):
        for path in sorted((REPO / folder).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative in owners or relative.startswith(tuple(f"src/huice/{n}/" for n in LINKED)):
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for what, pattern in patterns.items():
                    if pattern.search(line):
                        found.append(f"{relative}:{number}: {what}: {line.strip()}")
    assert found == []


def test_the_layout_is_plain_files_and_symlinks():
    """src/huice/<folder> is a symlink to the top-level folder, and pyproject maps nothing."""
    for name in LINKED:
        link = SRC / "huice" / name
        assert link.is_symlink() and os.readlink(link) == f"../../{name}", link
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"": "src"}


def test_every_internal_import_resolves_to_a_file_by_its_path():
    """What a static reader does in a fresh checkout, without installing: every import of
    huice.* (absolute or relative) names a file or package folder under src/."""
    missing = []
    for name, path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.stem == "__init__" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            huice_targets = [t for t in targets if t == "huice" or t.startswith("huice.")]
            if not huice_targets:
                continue
            resolved = [t for t in huice_targets
                        if (SRC / Path(*t.split("."))).with_suffix(".py").is_file()
                        or (SRC / Path(*t.split(".")) / "__init__.py").is_file()]
            if not resolved:  # neither the module nor any imported name is a file
                missing.append(f"{name}: {huice_targets[0]}")
    assert missing == []


def test_python_started_beside_a_clone_imports_the_installed_huice(tmp_path):
    """A folder named huice/ holding a clone (no __init__.py at its top) must not shadow the
    installed package when Python starts in the folder that holds it."""
    clone = tmp_path / "huice"
    clone.mkdir()
    (clone / "README.md").write_text("a clone of the repo\n")
    (clone / "engine").mkdir()
    run = subprocess.run([sys.executable, "-c", "import huice; print(huice.backtest.__module__)"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "huice.api"


def test_the_version_is_the_same_everywhere():
    import huice

    assert huice.__version__ == PYPROJECT["project"]["version"]


def test_the_cli_is_argparse_and_printing_over_the_public_api():
    """No command wires the engine itself: cli.py and cli_data.py import the public API (and
    each other), nothing else of huice."""
    allowed = {"huice", "huice.api", "huice.api_paper", "huice.api_data", "huice.cli_data"}
    for module in ("cli.py", "cli_data.py"):
        imported = huice_imports(SRC / "huice" / module)
        tree = ast.parse((SRC / "huice" / module).read_text(encoding="utf-8"))
        imported |= {f"huice.{alias.name}" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module == "huice"
                     for alias in node.names}
        assert imported <= allowed, (module, sorted(imported - allowed))


def test_bar_quality_has_one_owner():
    """Every check of a bar series (calendar, presence, staleness, OHLC consistency, jumps
    beyond the day's limit, magnitude) lives in feeds/quality.py; the import, the live
    sources, the canonical frame, the run's data gate and the evening gate call it."""
    import re

    owner = "feeds/quality.py"
    patterns = {
        "high/low against open/close": re.compile(
            r"\bhigh\w*\s*<\s*(np\.)?max(imum)?\(|\blow\w*\s*>\s*(np\.)?min(imum)?\("),
        "a bar repeating the previous one": re.compile(r"def repeats\(|\.shift\(\)\)\.all\("),
        "a bar on a non-trading day": re.compile(r"~\s*\w*\.?index\.isin\(\w*calendar\)"),
        "a jump beyond the day's limits": re.compile(r"ADJUSTED_SLACK|MAGNITUDE|"
                                                     r"beyond the day's limits"),
    }
    found = []
    for folder in ("engine", "src", "strategies", "feeds"):
        for path in sorted((REPO / folder).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative == owner or relative.startswith(tuple(f"src/huice/{n}/" for n in LINKED)):
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                for what, pattern in patterns.items():
                    if pattern.search(line):
                        found.append(f"{relative}:{number}: {what}: {line.strip()}")
    assert found == []


def private_imports(files: list[tuple[str, Path]]) -> list[str]:
    """Every import of a private name (``_x``, not a dunder) from another module of huice in
    ``files`` (name, path): ``importer: module._x``."""
    found = []
    for name, path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                    and node.module.startswith("huice")):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{name}: {node.module}.{alias.name}")
    return found


def test_nothing_imports_a_private_name_across_modules():
    """A leading underscore is a module's own business: another module (of the API, a test, a
    benchmark) uses public names only, so a private helper can change without breaking it."""
    files = modules() + [(str(path.relative_to(REPO)), path) for folder in ("tests", "bench")
                         for path in sorted((REPO / folder).rglob("*.py"))]
    assert private_imports(files) == []


def test_the_private_import_check_finds_one(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from huice.api import load_config\nfrom huice.api import (\n"
                       "    located,\n    _origin_of,\n)\nfrom huice import __version__\n")
    assert private_imports([("planted", planted)]) == ["planted: huice.api._origin_of"]


def test_no_name_huice_exports_is_replaced_by_a_module_of_the_same_name():
    """Importing a submodule for the first time sets it as an attribute of its package: a
    function exported under the name of a module that is imported later (lazily, by a call) is
    replaced by that module (huice.monitor_premium was, on its second call). Such a name must
    be a module ``import huice`` has already imported (``strategies``), and the exported
    function must survive importing every module of the package."""
    import importlib
    import pkgutil
    import subprocess
    import sys

    import huice

    code = ("import huice, sys; print(' '.join(m for m in sys.modules if m.startswith('huice.')"
            " and m.count('.') == 1))")
    imported = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout.split())
    modules = {info.name for info in pkgutil.iter_modules(huice.__path__)}
    shared = set(huice.__all__) & modules
    assert {f"huice.{name}" for name in shared} <= imported, shared
    for info in pkgutil.walk_packages(huice.__path__, "huice."):
        if info.name.split(".")[1] in ("data",) or ".examples" in info.name:
            continue
        importlib.import_module(info.name)
    assert all(callable(getattr(huice, name)) for name in shared)
