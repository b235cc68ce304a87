"""Summarise the last ``mutmut run`` per module: killed, survived, timed out, not covered, and the share killed.

Run by ``make mutation`` after mutmut; prints a Markdown table for the README and the survivors' diffs, so that
each can be killed by a test or written down as equivalent.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

MUTMUT = Path(sys.executable).parent / "mutmut"


def results() -> dict[str, str]:
    """``{mutant name: status}`` for every mutant of the last run."""
    output = subprocess.run([str(MUTMUT), "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    return {name: status.strip() for name, status in re.findall(r"^\s*(\S+): (.+)$", output, re.M)}


def module_of(mutant: str) -> str:
    """``generator.render.mosaic.x_tile__mutmut_3`` -> ``generator/render/mosaic.py``."""
    dotted = mutant.split(".x")[0] if ".x_" in mutant or ".xǁ" in mutant else mutant.rsplit(".", 1)[0]
    return dotted.replace(".", "/") + ".py"


def table_row(label: str, counts: Counter, share: str) -> str:
    """One Markdown row: the mutants run, each status' count, the share killed of those run (formatted with
    ``share``), and the mutants not run yet (a module whose group has not run, or not to its end)."""
    run = sum(count for status, count in counts.items() if status != "not checked")
    columns = [run, counts["killed"], counts["survived"], counts["timeout"], counts["no tests"]]
    killed = share.format(100 * counts["killed"] / run) if run else "-"
    return f"| {label} | " + " | ".join(map(str, columns)) + f" | {killed} | {counts['not checked']} |"


def main() -> int:
    everything = results()
    statuses = {name: status for name, status in everything.items() if status != "not checked"}
    if not statuses:
        print("no mutmut results: run `make mutation`", file=sys.stderr)
        return 1
    unchecked = len(everything) - len(statuses)
    per_module: dict[str, Counter] = defaultdict(Counter)
    for mutant, status in everything.items():
        per_module[module_of(mutant)][status] += 1
    print("| module | mutants run | killed | survived | timeout | no test | killed % | not run yet |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    total: Counter = Counter()
    for module in sorted(per_module):
        total.update(per_module[module])
        print(table_row(f"`{module}`", per_module[module], "{:.0f} %"))
    print(table_row("**all**", total, "**{:.1f} %**"))
    if unchecked:
        print(f"\n{unchecked} mutants not run yet (other groups: `make mutation GROUP=...`)")
    survivors = sorted(name for name, status in statuses.items() if status != "killed")
    print(f"\n{len(survivors)} not killed (`mutmut show NAME` for each diff):")
    for name in survivors:
        diff = subprocess.run([str(MUTMUT), "show", name], capture_output=True, text=True).stdout
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        print(f"- {name} ({statuses[name]}): " + " => ".join(" ".join(line.split()) for line in changed[:2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
