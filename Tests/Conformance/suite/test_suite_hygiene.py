"""The test suite's own rules (Tests/README.md): every async Swift test has a time limit, and the table of README
claims names tests that exist, with no empty row."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TESTS = REPO / "Tests"

DECLARATION = re.compile(r"^(@Suite\b.*?\s)?(?:public |final |private )*(struct|class|enum|actor|extension) (\w+)")


def swift_files():
    return sorted(p for p in TESTS.rglob("*.swift") if ".build" not in p.parts)


def suites_with_time_limit():
    """Type names whose declaration (or the @Suite line above it) carries a time limit."""
    limited = set()
    for path in swift_files():
        lines = path.read_text().split("\n")
        for i, line in enumerate(lines):
            match = DECLARATION.match(line)
            if match and match.group(2) != "extension":
                above = lines[i - 1] if i else ""
                if "timeLimit" in line or (above.startswith("@Suite") and "timeLimit" in above):
                    limited.add(match.group(3))
    return limited


def async_tests_without_time_limit(path, limited):
    """(line, type, function) of each async @Test in `path` with no time limit of its own or its suite's."""
    lines = path.read_text().split("\n")
    found, current = [], None
    for i, line in enumerate(lines):
        match = DECLARATION.match(line)
        if match:
            current = match.group(3)
        if not re.match(r"^\s*@Test\b", line):
            continue
        j = i
        while "func " not in lines[j]:
            j += 1
        signature = lines[j]
        k = j
        while "{" not in lines[k]:
            k += 1
            signature += lines[k]
        attributes = " ".join(lines[i:j + 1])
        if re.search(r"\basync\b", signature) and "timeLimit" not in attributes and current not in limited:
            found.append((i + 1, current, re.search(r"func (\w+)", signature).group(1)))
    return found


def test_every_async_swift_test_has_a_time_limit():
    limited = suites_with_time_limit()
    missing = {}
    for path in swift_files():
        offenders = async_tests_without_time_limit(path, limited)
        if offenders:
            missing[str(path.relative_to(REPO))] = offenders
    assert not missing, "async tests without .timeLimit (add one to the test or its @Suite):\n" + "\n".join(
        f"  {file}:{line} {suite}.{name}" for file, items in missing.items() for line, suite, name in items)


def claims_table():
    text = (TESTS / "README.md").read_text()
    section = text.split("## README claims and their tests", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows[2:]]


def swift_test_index():
    """(suite, function) of every Swift @Test."""
    index = set()
    for path in swift_files():
        lines = path.read_text().split("\n")
        current = None
        for i, line in enumerate(lines):
            match = DECLARATION.match(line)
            if match:
                current = match.group(3)
            if re.match(r"^\s*@Test\b", line):
                j = i
                while "func " not in lines[j]:
                    j += 1
                index.add((current, re.search(r"func (\w+)", lines[j]).group(1)))
    return index


def test_the_readme_claims_table_names_existing_tests():
    rows = claims_table()
    assert len(rows) > 40, "the table of README claims is missing or truncated"
    index = swift_test_index()
    problems = []
    for claim, *rest in rows:
        tests = " ".join(rest)
        references = re.findall(r"`([^`]+)`", tests)
        if not claim or not references:
            problems.append(f"empty row: {claim!r}")
            continue
        for reference in references:
            if "::" in reference:
                file, name = reference.split("::", 1)
                path = REPO / file
                if not path.is_file() or not re.search(rf"^def {re.escape(name)}\(", path.read_text(), re.M):
                    problems.append(f"{claim}: no test {reference}")
            elif reference.startswith("Tests/"):
                if not (REPO / reference).exists():
                    problems.append(f"{claim}: no file {reference}")
            elif "." in reference and re.fullmatch(r"\w+\.\w+", reference):
                if tuple(reference.split(".")) not in index:
                    problems.append(f"{claim}: no Swift test {reference}")
            else:
                problems.append(f"{claim}: cannot read the reference {reference!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["AgentTests.AbortAndOutageTests", "AgentTests.AgentKillTimingTests"])
def test_timing_sensitive_suites_run_apart_in_scripts_test(name):
    script = (REPO / "scripts" / "test").read_text()
    pattern = re.search(r"timing_sensitive='([^']+)'", script)
    assert pattern and re.search(pattern.group(1), name + "/x()"), f"{name} is not in scripts/test's timing-sensitive run"
    assert '--skip "$timing_sensitive"' in script
