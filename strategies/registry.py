"""Find strategy classes by name.

Three ways in: the ``@register("name")`` decorator on built-in modules in this package, the
``huice.strategies`` entry-point group for installed packages, and ``"package.module:ClassName"``
(or ``"path/to/file.py:ClassName"``) written directly in the YAML.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from huice.config.errors import RegistryError
from huice.engine.run.kinds import is_backtrader_class
from huice.strategies.base import Strategy

ENTRY_POINT_GROUP = "huice.strategies"
_NOT_STRATEGY_MODULES = {"base", "registry", "periods", "factory", "crowding", "words"}


class StrategyRegistry:
    """Registered strategy classes by name; duplicate names are refused."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Strategy]] = {}
        self._discovered = False

    def add(self, name: str, cls: type[Strategy]) -> None:
        existing = self._classes.get(name)
        if existing is not None and existing is not cls:
            raise RegistryError(f"strategy name '{name}' is registered twice: "
                                f"{existing.__module__}.{existing.__qualname__} and "
                                f"{cls.__module__}.{cls.__qualname__}")
        self._classes[name] = cls

    def discover(self) -> None:
        """Import the built-in strategy modules and the entry-point plugins (once)."""
        if self._discovered:
            return
        self._discovered = True
        package_dir = Path(__file__).parent
        for module in pkgutil.iter_modules([str(package_dir)]):
            if module.name not in _NOT_STRATEGY_MODULES and not module.name.startswith("_"):
                importlib.import_module(f"{__package__}.{module.name}")
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            cls = entry.load()
            self.add(entry.name, cls)

    def names(self) -> list[str]:
        self.discover()
        return sorted(self._classes)

    def classes(self) -> dict[str, type[Strategy]]:
        self.discover()
        return dict(sorted(self._classes.items()))

    def resolve(self, name: str, search_dirs: tuple[Path, ...] = ()) -> type:
        """A registered name, ``package.module:Class`` or ``file.py:Class`` -> the class (a
        huice :class:`Strategy`, or a ``backtrader.Strategy`` subclass run natively).

        Raises
        ------
        RegistryError
            Unknown name (with the known ones and a "did you mean"), or an import that fails.
        """
        if ":" in name:
            return _import_class(name, search_dirs)
        self.discover()
        if name in self._classes:
            return self._classes[name]
        hint = difflib.get_close_matches(name, list(self._classes), n=1, cutoff=0.5)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise RegistryError(f"unknown strategy '{name}'{suggestion} Known: "
                            f"{', '.join(sorted(self._classes))}; or write "
                            "'package.module:ClassName'")


def _import_class(reference: str, search_dirs: tuple[Path, ...]) -> type:
    module_part, _, class_name = reference.rpartition(":")
    try:
        if module_part.endswith(".py"):
            path = Path(module_part)
            candidates = [path] if path.is_absolute() else [d / path for d in search_dirs] + [path]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise RegistryError(f"strategy file '{module_part}' not found")
            # the standard importlib recipe for a file: the module is registered under its name
            # (backtrader's metaclasses look strategies' modules up in sys.modules)
            name = f"huice_user_{found.stem}"
            spec = importlib.util.spec_from_file_location(name, found)
            if spec is None or spec.loader is None:
                raise RegistryError(f"strategy file '{module_part}' cannot be imported")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
        else:
            added = [str(d) for d in search_dirs if str(d) not in sys.path]
            sys.path[:0] = added
            try:
                module = importlib.import_module(module_part)
            finally:
                for entry in added:
                    sys.path.remove(entry)
    except RegistryError:
        raise
    except Exception as exc:  # the user's module failed to import: say which and why
        raise RegistryError(f"cannot import '{module_part}': {type(exc).__name__}: {exc}") from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise RegistryError(f"'{module_part}' has no class '{class_name}'")
    if not (isinstance(cls, type) and (issubclass(cls, Strategy) or is_backtrader_class(cls))):
        raise RegistryError(f"'{reference}' is neither a huice strategy (a subclass of "
                            "huice.strategies.base.Strategy) nor a backtrader strategy (a "
                            "subclass of backtrader.Strategy)")
    return cls


REGISTRY = StrategyRegistry()


def register(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    """Class decorator: register a strategy under ``name`` (sets ``cls.name``)."""

    def decorate(cls: type[Strategy]) -> type[Strategy]:
        cls.name = name
        REGISTRY.add(name, cls)
        return cls

    return decorate
