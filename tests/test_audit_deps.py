"""The dependency audit in `make test` (scripts/audit_deps.py): fails on a known vulnerability unless
waived with a reason, fails loudly when the audit can't run, lists what it could not audit."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_deps.py"


@pytest.fixture
def audit_deps(monkeypatch):
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "audit_deps", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "installed_versions", lambda: {"flask": "3.1.3", "oldlib": "1.0", "newlib": "2.0"})
    return module


def _run(module, monkeypatch, tmp_path, pip_audit, latest, waivers=""):
    """main() with pip-audit's answer and PyPI's project JSON stubbed; (exit status, printed text)."""
    file = tmp_path / "waivers"
    file.write_text(waivers, encoding="utf-8")
    seen_ignores = []

    def fake_pip_audit(w):
        seen_ignores.extend(w.advisories)
        if isinstance(pip_audit, BaseException):
            raise pip_audit
        return pip_audit

    monkeypatch.setattr(module, "run_pip_audit", fake_pip_audit)
    monkeypatch.setattr(module, "latest_release", latest)
    monkeypatch.setattr("sys.argv", ["audit_deps.py", "--waivers", str(file)])
    return module.main(), seen_ignores


CLEAN = [{"name": "flask", "version": "3.1.3", "vulns": []}]
VULNERABLE = [{"name": "flask", "version": "3.1.3",
               "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["3.1.4"], "aliases": ["CVE-2099-1"]}]}]
SKIPPED = [{"name": "oldlib", "skip_reason": "Dependency not found on PyPI and could not be audited: oldlib (1.0)"},
           {"name": "newlib", "skip_reason": "Dependency not found on PyPI and could not be audited: newlib (2.0)"}]


def _latest(advisories=()):
    releases = {"oldlib": ("1.5", []), "newlib": ("2.0", list(advisories))}
    return lambda name: releases[name]


def test_clean_environment_passes(audit_deps, monkeypatch, tmp_path, capsys):
    assert _run(audit_deps, monkeypatch, tmp_path, CLEAN, _latest())[0] == 0
    assert "1 packages audited" in capsys.readouterr().out


def test_a_known_vulnerability_fails(audit_deps, monkeypatch, tmp_path, capsys):
    assert _run(audit_deps, monkeypatch, tmp_path, VULNERABLE, _latest())[0] == 1
    assert "flask 3.1.3: PYSEC-2099-1 (fixed in 3.1.4" in capsys.readouterr().out


def test_waived_advisories_go_to_pip_audit_as_ignore_vuln(audit_deps, monkeypatch, tmp_path):
    status, ignored = _run(audit_deps, monkeypatch, tmp_path, CLEAN, _latest(),
                           "# comment\nPYSEC-2099-1 not reachable: we never call flask.foo\n")
    assert (status, ignored) == (0, ["PYSEC-2099-1"])


def test_a_waiver_needs_a_reason(audit_deps, monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="has no reason"):
        _run(audit_deps, monkeypatch, tmp_path, CLEAN, _latest(), "PYSEC-2099-1\n")


def test_when_pip_audit_cannot_run_the_audit_fails(audit_deps, monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="could not run"):
        _run(audit_deps, monkeypatch, tmp_path, SystemExit("!! dependency audit could not run"), _latest())


def test_a_package_pip_audit_skipped_is_checked_against_its_latest_release(audit_deps, monkeypatch, tmp_path,
                                                                           capsys):
    advisory = {"id": "GHSA-xxxx", "aliases": ["CVE-2099-2"], "fixed_in": ["2.1"]}
    status, _ = _run(audit_deps, monkeypatch, tmp_path, CLEAN + SKIPPED, _latest([advisory]),
                     "oldlib==1.0 capped by a dependency\n")
    assert status == 1
    assert "newlib 2.0: GHSA-xxxx (fixed in 2.1; PyPI, latest release)" in capsys.readouterr().out
    status, _ = _run(audit_deps, monkeypatch, tmp_path, CLEAN + SKIPPED, _latest([advisory]),
                     "oldlib==1.0 capped by a dependency\nCVE-2099-2 waived by its alias, for the test\n")
    assert status == 0


def test_what_cannot_be_audited_is_listed_unless_waived(audit_deps, monkeypatch, tmp_path, capsys):
    assert _run(audit_deps, monkeypatch, tmp_path, CLEAN + SKIPPED, _latest())[0] == audit_deps.UNAUDITED
    assert "oldlib==1.0 (latest 1.5)" in capsys.readouterr().out
    assert _run(audit_deps, monkeypatch, tmp_path, CLEAN + SKIPPED, _latest(), "oldlib==1.0 capped\n")[0] == 0


def test_pypi_unreachable_in_the_fallback_fails_loudly(audit_deps, monkeypatch, tmp_path):
    def unreachable(name):
        raise SystemExit(f"!! dependency audit could not run: PyPI did not answer for {name}")

    with pytest.raises(SystemExit, match="did not answer"):
        _run(audit_deps, monkeypatch, tmp_path, CLEAN + SKIPPED, unreachable)


def test_the_waiver_file_is_valid(audit_deps):
    waivers = audit_deps.read_waivers(SCRIPT.parent.parent / ".pip-audit-waivers")
    assert all(waivers.packages.values()) and all(waivers.advisories.values())
