"""`make audit`: pip-audit over the pinned requirements.txt, honest about what it could check.

pip-audit asks PyPI's JSON API for each pinned version's known vulnerabilities. A vulnerable
package fails the run (exit 1). When the vulnerability data cannot be fetched (no network, or a
PyPI mirror without the per-version API, as on the CI machines of this project) nothing was
checked: that is printed loudly, and the run fails only under AUDIT_STRICT=true, so a network
outage does not turn CI red while a real finding always does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--requirement", str(ROOT / "requirements.txt"), "--no-deps", "--disable-pip"]
    command += ["--format", "json", "--progress-spinner", "off", "--timeout", "20"]
    strict = os.environ.get("AUDIT_STRICT", "").lower() == "true"
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return unchecked(f"pip-audit did not run: {error}", strict)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return unchecked(f"pip-audit gave no report (exit {run.returncode}): {run.stderr.strip()[-500:]}", strict)

    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"VULNERABLE {dep['name']}=={dep['version']}: {vuln['id']} (fixed in: {fixes})")
    if vulnerable:
        print(f"audit: {len(vulnerable)} vulnerable package(s); upgrade them in requirements.in and `make lock`.")
        return 1
    audited = len(dependencies) - len(skipped)
    if skipped and not audited:
        return unchecked(f"all {len(skipped)} packages skipped, e.g. {skipped[0]['skip_reason']}", strict)
    print(f"audit: {audited} packages checked against PyPI's advisories, no known vulnerabilities.")
    if skipped:
        print(f"audit: {len(skipped)} not checked: " + ", ".join(dep["name"] for dep in skipped))
    return 0


def unchecked(reason: str, strict: bool) -> int:
    print("audit: NOT PERFORMED - PyPI's vulnerability data is unreachable from this machine.")
    print(f"audit: {reason}")
    print("audit: run `make audit` where pypi.org is reachable (AUDIT_STRICT=true makes this an error).")
    return 1 if strict else 0


if __name__ == "__main__":
    sys.exit(main())
