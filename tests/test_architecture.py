"""The seams the code is built on, checked on the source itself: narrow storage interfaces,
HTTP only in the API layer, domain code free of FastAPI, no import cycle."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest

from geoservice.settings import REPO_ROOT
from geoservice.storage import base

PACKAGE = REPO_ROOT / "geoservice"
API = PACKAGE / "api"
MAX_METHODS = 15
HTTP_FRAMEWORKS = ("fastapi", "starlette", "uvicorn")
# response and request header names that only the API layer reads or writes
HTTP_HEADERS = ("etag", "if-match", "allow", "retry-after", "www-authenticate", "location")


def _protocols() -> list[type]:
    return [obj for _, obj in inspect.getmembers(base, inspect.isclass)
            if obj is not Protocol and Protocol in obj.__mro__[1:]
            and obj.__module__ == base.__name__]


def _public_methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items()
            if callable(value) and not name.startswith("_")]


def _domain_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if API not in p.parents]


def test_every_storage_interface_is_narrow():
    protocols = _protocols()
    assert {p.__name__ for p in protocols} >= {
        "FeatureStore", "AccountStore", "ProposalStore", "ImportStore", "RateEvents",
        "UnitOfWork", "Storage"}
    widest = max(protocols, key=lambda p: len(_public_methods(p)))
    assert len(_public_methods(widest)) <= MAX_METHODS, (
        widest.__name__, _public_methods(widest))


def _imports(tree: ast.AST) -> set[str]:
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    return imported


def test_domain_code_never_imports_the_web_framework():
    offenders = []
    for path in _domain_modules():
        # the CLI starts the server (uvicorn) and the app factory; nothing else may
        allowed = {"uvicorn"} if path.name == "cli.py" else set()
        found = (_imports(ast.parse(path.read_text(encoding="utf-8")))
                 & set(HTTP_FRAMEWORKS)) - allowed
        if found:
            offenders.append(f"{path.relative_to(PACKAGE)}: {sorted(found)}")
    assert offenders == []


def test_no_http_header_is_built_or_parsed_outside_the_api():
    """Domain errors carry data (the current version, the allowed actions, the wait); the
    API turns them into headers. Outgoing requests of a client (OpenID Connect, BAN) may
    send their own headers: those are keyword arguments of an HTTP client call."""
    offenders = []
    for path in _domain_modules():
        name = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and not _client_call(node)
                    and any(k.arg == "headers" for k in node.keywords)):
                offenders.append(f"{name}:{node.lineno} passes headers=")
            if isinstance(node, ast.Dict):
                offenders += [f"{name}:{key.lineno} builds the header {key.value}"
                              for key in node.keys if isinstance(key, ast.Constant)
                              and isinstance(key.value, str)
                              and key.value.lower() in HTTP_HEADERS]
    assert offenders == []


def _client_call(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in {"get", "post", "request", "_get", "_post", "stream", "Client"}


def test_no_import_cycle():
    tool = REPO_ROOT.parent / "shared" / "tools" / "import_cycles.py"
    if not tool.is_file():
        pytest.fail(f"{tool} not found (../shared beside the checkout)")
    done = subprocess.run([sys.executable, str(tool), "geoservice"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "no import cycle" in done.stdout, done.stdout + done.stderr
