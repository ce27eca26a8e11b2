"""The layering rule of DESIGN.md, enforced with import-linter (contracts in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_views_do_not_touch_ticket_objects_directly():
    """No entry point reads Ticket.objects: reads go through the viewer-scoped selectors."""
    offenders = []
    for path in (ROOT / "complaintdesk").rglob("*.py"):
        entry_point = path.name in ("api.py", "views.py") or "management" in path.parts
        if entry_point and "Ticket.objects" in path.read_text():
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_workflow_is_pure_python():
    """Importing the workflow table loads no part of the ORM."""
    code = (
        "import sys, complaintdesk.tickets.workflow; "
        "print(sorted(m for m in sys.modules if m.startswith('django.db')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
