"""The plugin host: builds the pluggy manager, loads plugins and keeps the module registry.

Plugins come from three places, in this order: the bundled tuple below, the ``bridge``
entry-point group of installed distributions, and the ``plugins_dir`` folder of the config.
A plugin module may define ``make_plugin(settings)``; the host then registers the object it
returns (so the plugin can hold its ``[plugins.<name>]`` settings) instead of the module.
Plugins named in ``blocked_plugins`` are never registered. Built by ``create_app``, never at
import time.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pluggy

import hooks
from bridge.errors import ConfigError, ModuleError
from hooks import Abort, GatewayModule, RegistrarModule, ServerModule

log = logging.getLogger(__name__)

# bundled plugins, written exactly like third-party ones (they are the examples)
BUNDLED_PLUGINS: tuple[str, ...] = (
    "plugins.cpanel",
    "plugins.mysql_hosting",
    "plugins.manual_registrar",
    "plugins.logicboxes",
    "plugins.webhooks",
    "plugins.stripe",
    "plugins.offline",
    "compat.whmcs.api",
    "compat.blesta.api",
)

KINDS: dict[str, tuple[str, type[Any]]] = {
    "server": ("register_server_modules", ServerModule),
    "registrar": ("register_registrar_modules", RegistrarModule),
    "gateway": ("register_gateway_modules", GatewayModule),
}
M = TypeVar("M")


@dataclass
class PluginRecord:
    """One plugin as ``bridge plugins list`` shows it."""

    name: str
    source: str  # bundled, entry point <distribution>, directory <path>
    version: str = ""
    status: str = "active"  # active, blocked, failed: <reason>
    modules: list[str] = field(default_factory=list)  # "server:cpanel", "gateway:stripe"
    events: list[str] = field(default_factory=list)  # hooks it implements


class PluginHost:
    """The PluginManager of one app and the module classes its plugins contributed."""

    def __init__(
        self,
        *,
        plugin_settings: Mapping[str, Any] | None = None,
        blocked: Iterable[str] = (),
        plugins_dir: str = "",
        bundled: Iterable[str] = BUNDLED_PLUGINS,
        entry_points: bool = True,
    ) -> None:
        self.pm = pluggy.PluginManager(hooks.PROJECT)
        for spec_module in hooks.SPEC_MODULES:
            self.pm.add_hookspecs(importlib.import_module(spec_module))
        self.plugin_settings = dict(plugin_settings or {})
        self.records: dict[str, PluginRecord] = {}
        self.modules: dict[str, dict[str, type[Any]]] = {kind: {} for kind in KINDS}
        self._owners: dict[tuple[str, str], str] = {}
        for name in blocked:
            self.pm.set_blocked(name)
            self.records[name] = PluginRecord(name, "config", status="blocked")
        for dotted in bundled:
            self._load(_bundled_name(dotted), _importer(dotted), "bundled")
        if entry_points:
            self._load_entry_points()
        if plugins_dir:
            self._load_directory(Path(plugins_dir))
        self.pm.check_pending()
        self.refresh_modules()

    # -- loading ----------------------------------------------------------------------------
    def register(self, plugin: object, name: str, source: str = "runtime",
                 version: str = "") -> PluginRecord:
        """Register a plugin object (module or instance) under ``name`` and index its modules."""
        if self.pm.is_blocked(name):
            return self.records.setdefault(name, PluginRecord(name, source, status="blocked"))
        if isinstance(plugin, ModuleType) and hasattr(plugin, "make_plugin"):
            plugin = plugin.make_plugin(self.plugin_settings.get(name, {}))
        self.pm.register(plugin, name=name)
        version = version or str(getattr(plugin, "__version__", "") or "")
        if not version and source == "bundled":
            from bridge import __version__ as version  # bundled plugins ship with the core
        record = PluginRecord(name, source, version)
        record.events = sorted(impl_name for impl_name in dir(self.pm.hook)
                               if not impl_name.startswith("_") and any(
                                   impl.plugin is plugin
                                   for impl in getattr(self.pm.hook, impl_name).get_hookimpls()))
        self.records[name] = record
        return record

    def unregister(self, name: str) -> None:
        """Remove a plugin and the modules it contributed."""
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self.records.pop(name, None)
        self.refresh_modules()

    def _load(self, name: str, importer: Callable[[], Any], source: str,
              version: str = "") -> None:
        if self.pm.is_blocked(name):
            self.records[name] = PluginRecord(name, source, version, status="blocked")
            return
        try:
            self.register(importer(), name, source, version)
        except Exception as exc:  # a broken plugin must not take the app down with it
            log.exception("plugin %s from %s failed to load", name, source)
            self.records[name] = PluginRecord(name, source, version,
                                              status=f"failed: {type(exc).__name__}: {exc}")

    def _load_entry_points(self) -> None:
        for ep in metadata.entry_points(group=hooks.PROJECT):
            dist = ep.dist
            label = f"entry point {dist.name if dist else '?'}"
            self._load(ep.name, ep.load, label, dist.version if dist else "")

    def _load_directory(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ConfigError(f"plugins_dir {folder} is not a folder")
        for path in sorted(folder.iterdir()):
            target = path / "__init__.py" if path.is_dir() else path
            if target.suffix != ".py" or not target.exists() or path.name.startswith("_"):
                continue
            self._load(path.stem, _path_importer(path.stem, target), f"directory {folder}")

    def refresh_modules(self) -> None:
        """Rebuild the module registry from every plugin's ``register_*_modules`` hook."""
        self.modules = {kind: {} for kind in KINDS}
        self._owners.clear()
        for record in self.records.values():
            record.modules = []
        for kind, (hook_name, base) in KINDS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                plugin_name = self.pm.get_name(impl.plugin) or "?"
                for cls in impl.function() or []:
                    self._add_module(kind, base, cls, plugin_name)

    def _add_module(self, kind: str, base: type[Any], cls: Any, plugin_name: str) -> None:
        name: str = getattr(cls, "name", "")
        if not (isinstance(cls, type) and issubclass(cls, base)) or not name:
            raise ConfigError(f"plugin {plugin_name} registered {cls!r} as a {kind} module, "
                              f"but it is not a named {base.__name__} subclass")
        owner = self._owners.get((kind, name))
        if owner is not None:
            raise ConfigError(f"{kind} module {name!r} is registered by both {owner} and "
                              f"{plugin_name}; block one of them (blocked_plugins)")
        self.modules[kind][name] = cls
        self._owners[(kind, name)] = plugin_name
        if plugin_name in self.records:
            self.records[plugin_name].modules.append(f"{kind}:{name}")

    # -- modules ----------------------------------------------------------------------------
    def module_class(self, kind: str, name: str) -> type[Any]:
        """The registered class of a ``kind`` module; ModuleError names what is installed."""
        try:
            return self.modules[kind][name]
        except KeyError:
            known = ", ".join(sorted(self.modules.get(kind, {}))) or "none"
            raise ModuleError(f"no {kind} module named {name!r} is installed "
                              f"(installed: {known})") from None

    def module(self, kind: str, name: str) -> Any:
        """A fresh instance of a ``kind`` module, given its plugin's settings."""
        cls = self.module_class(kind, name)
        owner = self._owners.get((kind, name), "")
        return cls(self.plugin_settings.get(owner, {}))

    def server_module(self, name: str) -> ServerModule:
        """Instance of the server module ``name``."""
        return _typed(self.module("server", name), ServerModule)  # type: ignore[type-abstract]

    def registrar_module(self, name: str) -> RegistrarModule:
        """Instance of the registrar module ``name``."""
        return _typed(self.module("registrar", name), RegistrarModule)  # type: ignore[type-abstract]

    def gateway_module(self, name: str) -> GatewayModule:
        """Instance of the gateway module ``name``."""
        return _typed(self.module("gateway", name), GatewayModule)

    # -- events -----------------------------------------------------------------------------
    def dispatch(self, name: str, payload: dict[str, Any]) -> None:
        """Deliver a committed event: the catch-all hook, then the typed hook if there is one.

        Each implementation is called on its own so one failing subscriber is logged and the
        others still run.
        """
        self._each(self.pm.hook.bridge_event, {"name": name, "payload": payload}, name)
        if name in hooks.TYPED_EVENTS:
            self._each(getattr(self.pm.hook, name), payload, name)

    def _each(self, caller: Any, kwargs: Mapping[str, Any], event: str) -> None:
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(**{arg: kwargs.get(arg) for arg in impl.argnames})
            except Exception:
                log.exception("plugin %s failed handling event %s",
                              self.pm.get_name(impl.plugin), event)

    def veto(self, hook_name: str, **kwargs: Any) -> str | None:
        """Run a "before" hook; the message of the first :class:`~hooks.Abort`, else None."""
        try:
            getattr(self.pm.hook, hook_name)(**kwargs)
        except Abort as abort:
            return abort.message
        return None

    def plugins(self) -> list[PluginRecord]:
        """Every known plugin, sorted by name."""
        return sorted(self.records.values(), key=lambda r: r.name)


def _typed(obj: Any, base: type[M]) -> M:
    assert isinstance(obj, base)
    return obj


def _bundled_name(dotted: str) -> str:
    """``plugins.cpanel`` -> ``cpanel``; ``compat.whmcs.api`` -> ``whmcs_api``."""
    return dotted.removeprefix("plugins.").removeprefix("compat.").replace(".", "_")


def _importer(dotted: str) -> Callable[[], Any]:
    return lambda: importlib.import_module(dotted)


def _path_importer(name: str, path: Path) -> Callable[[], Any]:
    return lambda: _import_path(name, path)


def _import_path(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bridge_local_plugins.{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
