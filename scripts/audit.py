"""`make audit`: known vulnerabilities of the locked dependencies (requirements.lock), checked
with pip-audit against PyPI's advisory data, or OSV's when PyPI's cannot be reached.

pip-audit alone would mislead on a machine without that data: when the package index is a
local mirror it reports every package as "not found on PyPI", skips it, and still says "No
known vulnerabilities found" with exit status 0. So the JSON report is read here:

    exit 1  a known vulnerability in a locked package (each is listed, with its fix)
    exit 0  none found; or no vulnerability service could be reached, or it knew none of the
            packages — then a message says so plainly: the audit did not happen. With
            AUDIT_REQUIRE_SERVICE=1 (CI with internet access) that case exits 2 instead.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
SERVICES = ("pypi", "osv")


def run(service: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report from one service, or None and why there is none."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(LOCK),
        # Every line is pinned (scripts/lock.py): nothing to resolve, nothing to install.
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--vulnerability-service",
        service,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return json.loads(result.stdout), ""
    except ValueError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return None, last[:300]


def judge(report: dict) -> tuple[int, list[str], bool]:
    """(vulnerabilities found, lines to print, whether the service knew any package)."""
    lines, found, audited = [], 0, 0
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            continue
        audited += 1
        for vuln in dependency.get("vulns", []):
            found += 1
            fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
            aliases = ", ".join(vuln.get("aliases") or [])
            lines.append(
                f"{dependency['name']} {dependency.get('version', '')}: {vuln.get('id')}"
                f"{f' ({aliases})' if aliases else ''}, fixed in {fixes}"
            )
    return found, lines, audited > 0


def main() -> int:
    if not LOCK.is_file():
        print("requirements.lock is missing: run `make lock` first.")
        return 1
    reasons = []
    for service in SERVICES:
        report, reason = run(service)
        if report is None:
            reasons.append(f"{service}: unreachable ({reason})")
            continue
        found, lines, audited = judge(report)
        if not audited:
            skipped = len(report.get("dependencies", []))
            reasons.append(f"{service}: knew none of the {skipped} locked packages")
            continue
        for line in lines:
            print(line)
        skipped = [d["name"] for d in report["dependencies"] if d.get("skip_reason")]
        if skipped:
            print(f"Not audited ({service} does not know them): {', '.join(skipped)}")
        if found:
            print(f"{found} known vulnerabilities in requirements.lock ({service}).")
            return 1
        print(f"No known vulnerabilities in requirements.lock ({service}).")
        return 0
    print("AUDIT NOT DONE: no vulnerability service could be reached from this machine.")
    for reason in reasons:
        print(f"  {reason}")
    print("Run `make audit` where PyPI's JSON API or api.osv.dev is reachable.")
    return 2 if os.environ.get("AUDIT_REQUIRE_SERVICE") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
