"""Audit the installed environment for known-vulnerable packages: pip-audit, waivers, and a fallback.

Run with the environment's own interpreter (`make test` runs `.venv/bin/python scripts/audit_deps.py`).

1. pip-audit checks every installed distribution against PyPI's advisories (PYSEC / GHSA / CVE), each
   waiver in `.pip-audit-waivers` passed as `--ignore-vuln`.
2. A package pip-audit could not look up (PyPI answers 404 for its version: a mirror that serves only
   the project-level JSON, as on this project's machines) is checked against the advisories PyPI
   lists for the project's latest release, which are exact when the installed version is the latest.
3. What is still unchecked (an older release, e.g. one a dependency caps) is listed by name and
   version. A `name==version` waiver accepts one such package, with its reason.

Waivers, one a line: `<advisory id or name==version> <reason>`; a waiver without a reason is an error.

Exit status: 0 all audited and clean; 1 a known vulnerability that is not waived, or the audit could
not run (PyPI unreachable, pip-audit failed: never a silent pass); 3 clean, but some packages could
not be audited (listed; scripts/test.sh reports them as skipped, which fails under CI).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 60
UNAUDITED = 3


@dataclass
class Waivers:
    advisories: dict[str, str] = field(default_factory=dict)  # id -> reason
    packages: dict[str, str] = field(default_factory=dict)  # "name==version" -> reason


@dataclass
class Finding:
    package: str
    version: str
    advisory: str
    fixed_in: list[str]
    source: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)
    waived_unaudited: list[str] = field(default_factory=list)
    audited: int = 0
    by_fallback: int = 0


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def read_waivers(path: Path) -> Waivers:
    """Parse the waiver file; a line without a reason stops the audit (a waiver must say why)."""
    waivers = Waivers()
    if not path.exists():
        return waivers
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"!! {path.name}:{number}: waiver {key!r} has no reason")
        if "==" in key:
            name, _, version = key.partition("==")
            waivers.packages[f"{canonical(name)}=={version}"] = reason.strip()
        else:
            waivers.advisories[key] = reason.strip()
    return waivers


def run_pip_audit(waivers: Waivers) -> list[dict]:
    """pip-audit's per-package results; SystemExit (status 1) when it could not run at all."""
    cmd = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off",
           "--vulnerability-service", "pypi", "--timeout", str(TIMEOUT)]
    for advisory in waivers.advisories:
        cmd += ["--ignore-vuln", advisory]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    try:
        return json.loads(done.stdout)["dependencies"]
    except (json.JSONDecodeError, KeyError):
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"!! dependency audit could not run (pip-audit exit {done.returncode}):\n{tail}") from None


def installed_versions() -> dict[str, str]:
    return {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}


def latest_release(name: str) -> tuple[str, list[dict]]:
    """The project's latest version and the advisories PyPI lists for it."""
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=TIMEOUT) as resp:
            data = json.load(resp)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise SystemExit(f"!! dependency audit could not run: PyPI did not answer for {name}: {exc}") from None
    return data["info"]["version"], data.get("vulnerabilities") or []


def _waived(advisory: dict, waivers: Waivers) -> bool:
    return any(i in waivers.advisories for i in [advisory.get("id", ""), *(advisory.get("aliases") or [])])


def audit(waivers: Waivers) -> Report:
    report = Report()
    versions = installed_versions()
    skipped = []
    for dep in run_pip_audit(waivers):
        name = canonical(dep["name"])
        if "skip_reason" in dep:
            skipped.append(name)
            continue
        report.audited += 1
        report.findings += [Finding(name, dep["version"], v["id"], v.get("fix_versions") or [], "pip-audit")
                            for v in dep.get("vulns", [])]
    with ThreadPoolExecutor(max_workers=8) as pool:
        latest = dict(zip(skipped, pool.map(latest_release, skipped), strict=True))
    for name in skipped:
        version, advisories = latest[name]
        installed = versions.get(name, "?")
        if version == installed:
            report.audited += 1
            report.by_fallback += 1
            report.findings += [Finding(name, installed, a["id"], a.get("fixed_in") or [], "PyPI, latest release")
                                for a in advisories if not _waived(a, waivers)]
        elif f"{name}=={installed}" in waivers.packages:
            report.waived_unaudited.append(f"{name}=={installed}")
        else:
            report.unaudited.append(f"{name}=={installed} (latest {version})")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waivers", type=Path, default=ROOT / ".pip-audit-waivers")
    args = parser.parse_args()
    started = time.monotonic()
    waivers = read_waivers(args.waivers)
    report = audit(waivers)
    seconds = time.monotonic() - started
    for f in report.findings:
        fixed = ", ".join(f.fixed_in) or "no fixed release"
        print(f"!! {f.package} {f.version}: {f.advisory} (fixed in {fixed}; {f.source})")
    if report.unaudited:
        print("!! could not be audited (PyPI gives advisories for a project's latest release only): upgrade,"
              " or waive as name==version with a reason:\n   " + "\n   ".join(report.unaudited))
    print(f"dependency audit: {report.audited} packages audited ({report.by_fallback} by their latest release's "
          f"advisories), {len(report.waived_unaudited)} waived unaudited, {len(report.unaudited)} unaudited, "
          f"{len(report.findings)} known vulnerabilities, {len(waivers.advisories)} advisories waived; {seconds:.1f} s")
    if report.findings:
        return 1
    return UNAUDITED if report.unaudited else 0


if __name__ == "__main__":
    sys.exit(main())
