"""Our HOCON reader against upstream's: the pyhocon that the pinned `clearml` SDK vendors
(`clearml.utilities.pyhocon`, what the ClearML tools read clearml.conf with) and the copy `clearml_agent` vendors.
The documents are upstream's own default configuration files (agent, api, sdk, logging) and a seeded corpus
generated from the constructs README promises (nested and dotted keys, `:`/`=`/`{` forms, object merging, arrays,
`#` and `//` comments, quoted, unquoted and triple-quoted strings, `${path}`, `${VAR}`/`${?VAR}` substitutions,
`include`). Ours is read through the built binary: `clearml-glue config --json --config-file F`.

Every leaf upstream reads must be in ours with the same value and type; for the generated documents (under keys no
default uses) nothing more either. Ours prints the effective configuration, so for upstream's own files built-in
defaults may add keys next to theirs, and values under secret-named keys are masked (********) and compared as
such. The deliberate differences are listed in DIFFERENCES, each shown by
test_hocon_deliberate_differences_are_what_they_say.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from clearml.utilities.pyhocon import ConfigFactory as SDKFactory
from clearml_agent.external.pyhocon import ConfigFactory as AgentFactory

SEED = int(os.environ.get("GLUE_TEST_SEED", "20261203"))
DOCUMENTS = 300
SECRET_WORDS = ("secret", "pass", "token")
ENV = {"GLUE_DIFF_SET": "from-the-environment", "GLUE_DIFF_NUMBER": "42"}
# Where ours deliberately reads differently from the vendored pyhocon, with the reason; each has a test below that
# shows the difference, so it stays visible (and the comparison normalises it away elsewhere).
DIFFERENCES = {
    "quoted key with a period": "`\"boto.perf\" { ... }` is the one key boto.perf (HOCON spec); pyhocon keeps the "
                                "quotes in the key's name (`\"boto.perf\"`), so nothing can look it up by name",
    "substitution of a null": "`a: null, b: ${a}` gives b = null in ours (the value referred to); pyhocon drops b",
    "empty string in a list": '`["", "x"]` has two elements (HOCON spec); pyhocon drops every "" from a list',
    "\\uXXXX escape": "`\"caf\\u00e9\"` is café (HOCON spec, as JSON); pyhocon leaves the six characters as they are",
}


def upstream_roots():
    import clearml
    import clearml_agent
    sdk = Path(clearml.__file__).parent / "config" / "default"
    agent = Path(clearml_agent.__file__).parent / "backend_api" / "config" / "default"
    return [("agent", agent / "agent.conf"), ("api", agent / "api.conf"), ("sdk", agent / "sdk.conf"),
            ("logging", agent / "logging.conf"), ("sdk", sdk / "sdk.conf"), ("logging", sdk / "logging.conf")]


def ours(config_file, home):
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **ENV}
    result = subprocess.run([os.environ["GLUE_BIN"], "config", "--json", "--config-file", str(config_file)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"clearml-glue config failed on {config_file}:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)


def upstream(factory, config_file):
    saved = {key: os.environ.get(key) for key in ENV}
    os.environ.update(ENV)
    try:
        return plain(factory.parse_file(str(config_file)))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def plain(value):
    """pyhocon's tree as plain JSON values (its null is a NoneValue object, its objects ConfigTree), with the
    quotes pyhocon keeps around a quoted key that holds a period removed (DIFFERENCES)."""
    if isinstance(value, dict):
        return {unquoted(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if type(value).__name__ == "NoneValue":
        return None
    return value


def unquoted(key):
    return key[1:-1] if len(key) > 1 and key.startswith('"') and key.endswith('"') and "." in key else key


def secret(key):
    return any(word in key.lower() for word in SECRET_WORDS)


def mismatches(theirs, mine, path="", masked=False, exact=False):
    """Leaves of `theirs` missing from `mine` or different there (type included: 1 is not 1.0 nor "1"). Under a
    secret-named key ours prints every non-empty string or number as ******** (README), so there that is a match."""
    if isinstance(theirs, dict):
        if not isinstance(mine, dict):
            return [f"{path or '<root>'}: upstream has an object, ours {json.dumps(mine)[:80]}"]
        found = []
        for key, value in theirs.items():
            if key not in mine:
                found.append(f"{path}.{key}: missing from ours (upstream {json.dumps(value)[:80]})")
            else:
                found += mismatches(value, mine[key], f"{path}.{key}", masked or secret(key), exact)
        if exact:
            # DIFFERENCES: a substitution of a null value drops the key in pyhocon, gives null in ours.
            found += [f"{path}.{key}: only in ours ({json.dumps(mine[key])[:80]})" for key in mine
                      if key not in theirs and mine[key] is not None]
        return found
    if isinstance(theirs, list):
        if isinstance(mine, list):
            mine = [item for item in mine if item != ""]  # DIFFERENCES: pyhocon drops "" from lists
        if not isinstance(mine, list) or len(mine) != len(theirs):
            return [f"{path}: upstream {json.dumps(theirs)[:120]}, ours {json.dumps(mine)[:120]}"]
        return [m for i, (a, b) in enumerate(zip(theirs, mine)) for m in mismatches(a, b, f"{path}[{i}]", masked, exact)]
    if masked and theirs not in ("", None) and not isinstance(theirs, bool):
        return [] if mine == "********" else [f"{path}: a secret shown by ours"]
    if type(theirs) is not type(mine) or theirs != mine:
        return [f"{path}: upstream {json.dumps(theirs)}, ours {json.dumps(mine)}"]
    return []


# ---------------------------------------------------------------- a seeded generator of HOCON documents

KEYS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "mu", "nu",
        "size", "name", "path", "items", "flag", "limit", "mode", "host"]
WORDS = ["hello", "world", "queue", "pod", "glue", "clear", "ml", "agent", "docker", "image", "python", "main"]


class Generator:
    def __init__(self, rng, name):
        self.rng, self.name = rng, name
        self.scalars = []  # dotted paths (inside this document) of scalars already written, for ${...}

    def scalar(self):
        r = self.rng
        kind = r.randrange(11)
        if kind == 0:
            return str(r.randint(-1000, 10 ** 12))
        if kind == 1:
            return f"{r.randint(-999, 999)}.{r.randint(0, 99):02d}5"
        if kind == 2:
            return r.choice(["true", "false", "yes", "no", "on", "off"][:2])
        if kind == 3:
            return "null"
        if kind in (4, 5):
            text = "".join(r.choice("abc XYZ-_./:019é✓") for _ in range(r.randint(0, 12)))
            text = text.replace("\\", "")
            escapes = r.choice(["", "\\n", "\\t", '\\"', "\\\\"])
            return json.dumps(text, ensure_ascii=False)[:-1] + escapes + '"'
        if kind == 6:
            return " ".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
        if kind == 7:
            body = "line one\n  \"quoted\" two\nthree" if r.random() < 0.5 else "one line"
            return '"""' + body + '"""'
        if kind == 8 and self.scalars:
            return "${" + self.name + "." + r.choice(self.scalars) + "}"
        if kind == 9:
            return r.choice(["${GLUE_DIFF_SET}", "${?GLUE_DIFF_SET}", "${GLUE_DIFF_NUMBER}"])
        return r.choice(WORDS) + "-" + str(r.randint(0, 99))

    def array(self, depth):
        r = self.rng
        items = [self.value(depth + 1, in_array=True) for _ in range(r.randint(0, 4))]
        separator = r.choice([", ", ",\n", "\n"])
        return "[" + separator.join(items) + "]"

    def value(self, depth, in_array=False):
        r = self.rng
        roll = r.random()
        if depth < 3 and roll < 0.15:
            return self.array(depth)
        if depth < 3 and roll < 0.3:
            return "{\n" + self.members(depth + 1, prefix=None) + "\n}"
        text = self.scalar()
        if in_array and text.startswith("${"):
            return json.dumps(r.choice(WORDS))
        return text

    def members(self, depth, prefix):
        r = self.rng
        lines, used = [], set()
        for _ in range(r.randint(1, 5)):
            if r.random() < 0.2:
                lines.append(r.choice(["# a comment", "// another comment", "#", "   # indented: with = signs {"]))
            key = r.choice([k for k in KEYS if k not in used] or ["omega"])
            used.add(key)
            shown = key
            if r.random() < 0.15:
                shown = json.dumps(key)
            if depth < 2 and r.random() < 0.25:
                inner = r.choice([k for k in KEYS if k != key])
                shown = f"{key}.{inner}"
                used.add(key)
            roll = r.random()
            if depth < 3 and roll < 0.25:
                lines.append(f"{shown} {{\n{self.members(depth + 1, None)}\n}}")
                if r.random() < 0.3:  # the same object again: HOCON merges it
                    lines.append(f"{shown} {{ {r.choice(KEYS)}X: {self.scalar_plain()} }}")
                continue
            value = self.value(depth)
            if prefix is not None and not value.startswith(("{", "[", "${")) and "." not in shown and '"' not in shown:
                self.scalars.append(f"{prefix}.{key}" if prefix else key)
            separator = r.choice([": ", " = ", ":", "="]) if not value.startswith("{") else r.choice([" ", ": ", " = "])
            lines.append(f"{shown}{separator}{value}")
        separator = r.choice(["\n", ",\n"])
        return separator.join(lines)

    def scalar_plain(self):
        return str(self.rng.randint(0, 100))

    def document(self):
        return f"{self.name} {{\n{self.members(0, prefix='')}\n}}\n"


def corpus(seed, count):
    rng = random.Random(seed)
    return [Generator(rng, f"d{n}").document() for n in range(count)]


# ------------------------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("section, path", upstream_roots(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_hocon_upstream_default_files_read_alike(tmp_path, section, path):
    document = tmp_path / "clearml.conf"
    document.write_text(f"{section} " + path.read_text())
    theirs = upstream(SDKFactory, document)
    assert theirs == upstream(AgentFactory, document), "the SDK's and the agent's pyhocon disagree"
    problems = mismatches(theirs, ours(document, tmp_path))
    assert not problems, f"{path}:\n" + "\n".join(problems[:40])


def test_hocon_generated_corpus_reads_alike(tmp_path):
    print(f"hocon corpus: seed {SEED} (replay with GLUE_TEST_SEED={SEED})", file=sys.stderr)
    documents = corpus(SEED, DOCUMENTS)
    problems = []
    for start in range(0, len(documents), 50):
        batch = documents[start:start + 50]
        document = tmp_path / f"corpus-{start}.conf"
        document.write_text("\n".join(batch))
        try:
            theirs = upstream(SDKFactory, document)
        except Exception as error:  # the generator must only write what upstream reads
            pytest.fail(f"upstream cannot read generated batch {start} (seed {SEED}): {error}\n{document.read_text()[:3000]}")
        mine = ours(document, tmp_path)
        for n, text in enumerate(batch):
            name = f"d{start + n}"
            # No default lives under dN: ours must hold exactly what upstream holds, nothing more.
            found = mismatches(theirs.get(name, {}), mine.get(name), name, exact=True)
            if found:
                problems.append(f"--- {name} (seed {SEED}):\n{text}\n" + "\n".join(found))
    assert not problems, f"{len(problems)} of {len(documents)} documents read differently:\n" + "\n".join(problems[:8])


def test_hocon_include_and_environment_read_alike(tmp_path):
    (tmp_path / "included.conf").write_text('inner { from_include: 1, text: "x" }\nlisted: [1, 2]\n')
    document = tmp_path / "clearml.conf"
    document.write_text(
        't {\n  include "included.conf"\n  inner.more = ${?GLUE_DIFF_SET}\n  dropped = ${?GLUE_DIFF_UNSET}\n'
        '  number = ${GLUE_DIFF_NUMBER}\n  listed = ${t.listed} [3]\n}\n'
        'include "included.conf"\n')
    theirs = upstream(SDKFactory, document)
    problems = mismatches(theirs, ours(document, tmp_path))
    assert not problems, "\n".join(problems)
    assert "dropped" not in theirs["t"]


def test_hocon_deliberate_differences_are_what_they_say(tmp_path):
    document = tmp_path / "clearml.conf"
    document.write_text('t {\n  "boto.perf" { level: WARNING }\n  accent: "caf\\u00e9"\n  listed: ["", "x"]\n'
                        '  nothing: null\n  refers: ${t.nothing}\n}\n')
    raw = SDKFactory.parse_file(str(document))
    assert list(raw["t"].keys())[0] == '"boto.perf"', "upstream changed: update DIFFERENCES"
    assert raw["t"]["accent"] == "caf\\u00e9" and list(raw["t"]["listed"]) == ["x"], "upstream changed: update DIFFERENCES"
    assert "refers" not in raw["t"], "upstream changed: update DIFFERENCES"
    mine = ours(document, tmp_path)["t"]
    assert mine["boto.perf"] == {"level": "WARNING"}
    assert mine["accent"] == "caf\u00e9"
    assert mine["listed"] == ["", "x"]
    assert "refers" in mine and mine["refers"] is None
