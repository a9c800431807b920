"""`bisnap/__init__.py` re-exports explicitly and stays in step with the modules."""

from __future__ import annotations

import importlib
import pkgutil

import bisnap


def test_all_is_sorted_unique_and_importable() -> None:
    names = list(bisnap.__all__)
    assert names == sorted(names, key=lambda n: (not n.isupper(), n[0].islower(), n))
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(bisnap, name) is not None


def test_every_module_declares_all_and_its_names_exist() -> None:
    optional = {"bisnap.stores.redis", "bisnap.__main__"}
    for info in pkgutil.walk_packages(bisnap.__path__, "bisnap."):
        if info.name in optional or info.name.split(".")[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{info.name} has no __all__"
        for name in exported:
            assert hasattr(module, name), f"{info.name}.__all__ names missing {name}"


def test_reexports_are_the_module_objects() -> None:
    for name in bisnap.__all__:
        obj = getattr(bisnap, name)
        module_name = getattr(obj, "__module__", None)
        if module_name and module_name.startswith("bisnap."):
            module = importlib.import_module(module_name)
            assert getattr(module, name, obj) is obj
