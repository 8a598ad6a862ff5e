"""The small engine that reads the mapping tables and runs them over a MARC record.

The tables (`mapping/*.map`, described in `mapping/README.md`) are parsed once, every name in them is
checked (keywords, steps, code lists, BIBFRAME terms, patterns) and compiled into plain closures, so
that converting a record is a dict lookup per field and a few function calls per subfield. A mistake
in a table raises `MappingError` naming the file and line before any record is touched.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Callable

from pyoxigraph import Literal, NamedNode

from core.errors import FatalError
from transform import bibframe, steps
from transform.bibframe import UnknownTerm

MAPPING_DIR = Path(__file__).parent / "mapping"
RDF_TYPE = bibframe.term("rdf:type")

KEYWORDS = ("on", "when", "node", "type", "const", "use", "step", "skip", "example")
SUBJECTS = ("instance", "work")
CONDITIONS = ("ind1", "ind2", "has", "lacks", "leader6", "leader7", "with", "without", "matches", "nomatch")


class MappingError(FatalError):
    """A mapping table is wrong; names the file and line so a cataloguer can fix it."""

    def __init__(self, path, line: int, message: str):
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


@dataclass
class Line:
    path: Path
    number: int
    indent: int
    text: str
    children: list["Line"] = dc_field(default_factory=list)

    def fail(self, message: str):
        raise MappingError(self.path, self.number, message)


@dataclass
class Example:
    """Lines of MARC and the expectations that must hold for the converted record."""
    path: Path
    line: int
    tag: str
    marc: list[str]
    expect: list[tuple[int, str, str, str | None]]   # (line, kind, subject+path, value)


@dataclass
class Block:
    tag: str
    label: str
    path: Path
    line: int
    run: Callable = None
    codes: set = dc_field(default_factory=set)
    examples: list[Example] = dc_field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reading the files into an indented tree of lines

def _read_lines(path: Path) -> list[Line]:
    roots: list[Line] = []
    stack: list[Line] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise MappingError(path, number, "indent with spaces, not tabs")
        indent = len(raw) - len(raw.lstrip(" "))
        line = Line(path, number, indent, raw.lstrip(" ").rstrip("\r"))
        while stack and stack[-1].indent >= indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(line)
        stack.append(line)
    return roots


# ---------------------------------------------------------------------------------------------
# Runtime environment of one record

class Env:
    """Everything a compiled rule may touch while one record converts."""

    __slots__ = ("base", "instance", "work", "instance_iri", "triples", "warnings", "counters",
                 "record", "ctx", "tag", "field", "maps", "codes", "languages")

    def __init__(self, base: str, instance_iri: str, work_iri: str, record, ctx):
        self.base = base
        self.instance_iri = instance_iri
        self.instance = NamedNode(instance_iri)
        self.work = NamedNode(work_iri)
        self.triples: list[tuple] = []
        self.warnings: list[str] = []
        self.counters: dict[str, int] = {}
        self.record = record
        self.ctx = ctx
        self.tag = ""
        self.field = None
        self.maps: dict = {}
        self.codes = ()
        self.languages = None       # RecordLanguages, set by the `languages` field step

    def mint(self, name: str) -> NamedNode:
        """A deterministic IRI for an inner resource: `{instance}#{name}-{n}` in record order."""
        n = self.counters.get(name, 0) + 1
        self.counters[name] = n
        return NamedNode(f"{self.instance_iri}#{name}-{n}")

    def add(self, s, p, o):
        self.triples.append((s, p, o))

    def warn(self, message: str):
        self.warnings.append(f"{self.tag}: {message}" if self.tag else message)


# ---------------------------------------------------------------------------------------------
# Compiling

class Compiler:
    def __init__(self, maps: dict[str, dict]):
        self.maps = maps
        self.patterns: dict[str, Line] = {}

    def term(self, line: Line, name: str, want_class: bool | None = None) -> NamedNode:
        try:
            node = bibframe.term(name)
        except UnknownTerm as exc:
            line.fail(str(exc))
        if want_class is True and not bibframe.is_class(name):
            line.fail(f"{name} is a property, a class was expected here")
        if want_class is False and bibframe.is_class(name):
            line.fail(f"{name} is a class, a property was expected here")
        return node

    def pipe(self, line: Line, parts: list[str]):
        fns = []
        for part in parts:
            name, _, arg = part.strip().partition(":")
            if name not in steps.VALUE_STEPS:
                line.fail(f"unknown step {name!r} (known: {', '.join(sorted(steps.VALUE_STEPS))})")
            fn, arg_kind = steps.VALUE_STEPS[name]
            if arg_kind == "map":
                if arg not in self.maps:
                    line.fail(f"unknown code list {arg!r} (known: {', '.join(sorted(self.maps))})")
                fns.append(fn(self.maps[arg]))
            elif arg_kind == "class":
                fns.append(fn(self.term(line, arg, True)))
            elif arg_kind == "arg":
                if not arg:
                    line.fail(f"step {name!r} needs an argument ({name}:...)")
                fns.append(fn(arg))
            else:
                if arg:
                    line.fail(f"step {name!r} takes no argument")
                fns.append(fn)
        return fns

    def conditions(self, line: Line):
        words = line.text.split()[1:]
        if not words or words[0] not in CONDITIONS:
            line.fail(f"`when` needs one of {', '.join(CONDITIONS)}")
        kind, values = words[0], [w.replace("#", " ") for w in words[1:]]
        if not values:
            line.fail("`when` lists no values")
        if kind in ("ind1", "ind2"):
            allowed = frozenset(values)
            attr = 0 if kind == "ind1" else 1
            return lambda f, env: f.indicators[attr] in allowed if f.indicators else False
        if kind in ("with", "without"):
            # the record has (has none of) these tags: e.g. a default content type only without 336
            tags = tuple(values)
            if not all(re.fullmatch(r"\d{3}", t) for t in tags):
                line.fail(f"`when {kind}` takes three-digit tags")
            want = kind == "with"
            return lambda f, env: any(env.record.get(t) is not None for t in tags) is want
        if kind in ("matches", "nomatch"):
            # a subfield's value matches a regular expression: `when matches a ^\(OCoLC\)`
            if len(values) < 2:
                line.fail(f"expected `when {kind} <codes> <regular expression>`")
            codes = frozenset(values[0])
            try:
                rx = re.compile(line.text.split(None, 3)[3])
            except re.error as exc:
                line.fail(f"bad regular expression: {exc}")
            want = kind == "matches"
            return lambda f, env: any(sf.code in codes and rx.search(sf.value)
                                      for sf in f.subfields) is want
        if kind in ("has", "lacks"):
            codes = frozenset("".join(values))
            want = kind == "has"
            return lambda f, env: any(sf.code in codes for sf in f.subfields) is want
        pos = 6 if kind == "leader6" else 7
        allowed = frozenset("".join(values))
        return lambda f, env: env.record.leader[pos:pos + 1] in allowed

    def scope(self, lines: list[Line], block: Block, in_node: bool, block_level: bool = False):
        """Compile the statements of one scope into (actions, conditions, extra types, codes needed).

        `codes needed` is the set of subfield codes whose presence can make the scope produce anything
        (None when it reads positions, indicators or runs a field step): a node skips fields without
        any of them, which keeps wide blocks such as 041 cheap.
        """
        actions, conds, types, needs = [], [], [], set()
        for line in lines:
            word = line.text.split()[0]
            if word == "on":
                if in_node or line is not lines[0] or not block_level:
                    line.fail("`on` may only be the first line of a field block")
                continue
            if word == "when":
                conds.append(self.conditions(line))
            elif word == "type":
                types.extend(self.term(line, w, True) for w in line.text.split()[1:])
            elif word == "use":
                name = line.text.split()[1] if len(line.text.split()) > 1 else ""
                if name not in self.patterns:
                    line.fail(f"unknown pattern {name!r}")
                a, c, t, nd = self.scope(self.patterns[name].children, block, in_node)
                actions += a
                conds += c
                types += t
                needs = None if needs is None or nd is None else needs | nd
            elif word == "node":
                run, nd = self.node(line, block)
                actions.append(run)
                needs = None if needs is None or nd is None else needs | nd
            elif word == "const":
                actions.append(self.const(line))
            elif word == "step":
                name = line.text.split()[1] if len(line.text.split()) > 1 else ""
                if name not in steps.FIELD_STEPS:
                    line.fail(f"unknown field step {name!r} (known: {', '.join(sorted(steps.FIELD_STEPS))})")
                fn, codes = steps.FIELD_STEPS[name]
                block.codes |= set(codes)
                actions.append(fn)
                needs = None
            elif word == "example":
                block.examples.append(self.example(line, block))
            elif word == "skip":
                parts = shlex.split(line.text)
                if len(parts) != 3 or not parts[1].startswith("$") or len(parts[1]) < 2:
                    line.fail('expected `skip $codes "why they are not mapped"`')
                block.codes |= set(parts[1][1:])
            elif word.startswith("$") or word.startswith("[") or word in ("ind1", "ind2", "data"):
                actions.append(self.value(line, block))
                if word.startswith("$") and needs is not None:
                    needs |= set(word[1:])
                else:
                    needs = None
            else:
                line.fail(f"unknown keyword {word!r} (known: {', '.join(KEYWORDS)}, $codes, [from-to], "
                          "ind1, ind2, data)")
            if line.children and word not in ("node", "example"):
                line.children[0].fail("unexpected indented lines")
        return actions, conds, types, (frozenset(needs) if needs is not None else None)

    def value(self, line: Line, block: Block):
        head, *pipe_parts = line.text.split("|")
        words = head.split()
        if len(words) != 2:
            line.fail("expected `<source> <property> [| step | ...]`")
        source, prop = words
        pred = self.term(line, prop, False)
        pipe = self.pipe(line, pipe_parts)
        if source.startswith("$"):
            codes = frozenset(source[1:])
            if not codes:
                line.fail("no subfield codes after $")
            block.codes |= codes

            def read(f, env, codes=codes):
                return [sf.value for sf in f.subfields if sf.code in codes]
        elif source.startswith("["):
            m = re.fullmatch(r"\[(\d+)(?:-(\d+))?\]", source)
            if not m:
                line.fail(f"bad position {source!r}; write [35-37] or [6]")
            a, b = int(m.group(1)), int(m.group(2) or m.group(1)) + 1

            def read(f, env, a=a, b=b):
                data = f.data or ""
                return [data[a:b]] if len(data) >= b else []
        elif source in ("ind1", "ind2"):
            attr = 0 if source == "ind1" else 1

            def read(f, env, attr=attr):
                return [f.indicators[attr]] if f.indicators else []
        else:
            def read(f, env):
                return [f.data] if f.data else []

        def run(f, env, subj):
            values = read(f, env)
            for fn in pipe:
                if not values:
                    return False
                values = fn(values, env)
            added = False
            for v in values:
                if isinstance(v, str):
                    if not v:
                        continue
                    v = Literal(steps.nfc(v))
                env.triples.append((subj, pred, v))
                added = True
            return added
        return run

    def const(self, line: Line):
        words = shlex.split(line.text)
        if len(words) != 3:
            line.fail('expected `const <property> <value>` (quote a text value: "...")')
        pred = self.term(line, words[1], False)
        value = words[2]
        if line.text.split(None, 2)[2].startswith('"'):
            obj = Literal(value)
        else:
            try:
                obj = self.term(line, value) if value.split(":")[0] in ("bf", "bflc") else NamedNode(
                    bibframe.expand(value))
            except UnknownTerm as exc:
                line.fail(str(exc))

        def run(f, env, subj):
            # A constant decorates a node that has content; alone it does not make the node exist.
            env.triples.append((subj, pred, obj))
            return False
        return run

    def node(self, line: Line, block: Block):
        words = line.text.split()
        if len(words) < 3:
            line.fail("expected `node <property> <Class>... [id=name] [uri=$0] [agent=$abcd]`")
        pred = self.term(line, words[1], False)
        classes, name, uri_codes, agent_codes, once = [], None, None, None, False
        for word in words[2:]:
            if word == "once":
                once = True
            elif word.startswith("id="):
                name = word[3:]
            elif word.startswith("uri=$"):
                uri_codes = frozenset(word[5:])
            elif word.startswith("agent=$"):
                agent_codes = frozenset(word[7:])
            elif "=" in word:
                line.fail(f"unknown node option {word!r} (known: id=, uri=$, agent=$, once)")
            else:
                classes.append(self.term(line, word, True))
        if not classes:
            line.fail("a node needs a class")
        name = name or re.sub(r"(?<!^)(?=[A-Z])", "-", words[1].split(":")[1]).lower()
        if uri_codes:
            block.codes |= uri_codes
        actions, conds, types, needs = self.scope(line.children, block, True)
        types = classes + types
        kind = steps.agent_kind(words[2]) if agent_codes else None

        def run(f, env, subj):
            if needs is not None and needs.isdisjoint(env.codes):
                return False
            for cond in conds:
                if not cond(f, env):
                    return False
            node = None
            if uri_codes:
                node = steps.uri_from(f, uri_codes)
            if node is None and agent_codes:
                node = steps.agent_iri(env.base, kind, f, agent_codes)
            minted = node is None and not once
            if once and node is None:
                node = NamedNode(f"{env.instance_iri}#{name}")
            elif minted:
                n = env.counters.get(name, 0) + 1
                node = NamedNode(f"{env.instance_iri}#{name}-{n}")
            mark = len(env.triples)
            added = False
            for action in actions:
                added = action(f, env, node) or added
            if not added:
                del env.triples[mark:]
                return False
            if minted:
                env.counters[name] = n
            env.triples.append((subj, pred, node))
            for cls in types:
                env.triples.append((node, RDF_TYPE, cls))
            return True
        return run, needs

    def example(self, line: Line, block: Block) -> Example:
        marc, expect = [], []
        for child in line.children:
            text = child.text.strip()
            word = text.split()[0]
            if word in ("expect", "absent", "warns"):
                try:
                    parts = shlex.split(text)
                except ValueError as exc:
                    child.fail(f"cannot read expectation: {exc}")
                if word == "warns":
                    expect.append((child.number, word, "", parts[1] if len(parts) > 1 else ""))
                    continue
                if len(parts) not in (3, 4) or parts[1].split("/")[0] not in ("instance", "work", "item"):
                    child.fail(f"expected `{word} instance|work <path> [value]`")
                expect.append((child.number, word, parts[1] + " " + parts[2],
                               text.split(None, 3)[3] if len(parts) == 4 else None))
            else:
                if not re.match(r"^(LDR|\d{3}) ", text):
                    child.fail("example lines are MARC fields (`245 10 $a ...`), expect, absent or warns")
                marc.append(child.text)
        if not marc or not expect:
            line.fail("an example needs MARC lines and at least one expect/absent line")
        return Example(line.path, line.number, block.tag, marc, expect)

    def block(self, line: Line) -> Block:
        words = shlex.split(line.text)
        if len(words) < 2 or not re.fullmatch(r"LDR|\d{3}", words[1]):
            line.fail("expected `field <tag> \"label\"` with a three-digit tag or LDR")
        block = Block(words[1], words[2] if len(words) > 2 else "", line.path, line.number)
        on = "instance"
        body = line.children
        if body and body[0].text.split()[0] == "on":
            on = body[0].text.split()[1] if len(body[0].text.split()) == 2 else ""
            if on not in SUBJECTS:
                body[0].fail(f"`on` takes one of {', '.join(SUBJECTS)}")
        actions, conds, types, _needs = self.scope(body, block, False, block_level=True)
        on_work = on == "work"

        def run(f, env):
            for cond in conds:
                if not cond(f, env):
                    return
            env.field = f
            env.codes = {sf.code for sf in f.subfields} if f.subfields else ()
            subj = env.work if on_work else env.instance
            for cls in types:
                env.triples.append((subj, RDF_TYPE, cls))
            for action in actions:
                action(f, env, subj)
        block.run = run
        return block


@dataclass
class Tables:
    """The compiled mapping: blocks by tag, deliberately ignored tags, and the code lists."""
    blocks: dict[str, list[Block]]
    ignored: dict[str, str]
    maps: dict[str, dict]
    files: list[Path]

    def examples(self) -> list[Example]:
        return [ex for blocks in self.blocks.values() for b in blocks for ex in b.examples]


def load_maps(directory: Path) -> dict[str, dict]:
    """Code lists: `codes/<name>.tsv`, two columns (code, value); a value `prefix:x` or `<iri>` is an IRI."""
    maps = {}
    for path in sorted((directory / "codes").glob("*.tsv")):
        table = {}
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or (raw.startswith("#") and not raw.startswith("#\t")):
                continue
            code, _, value = raw.partition("\t")
            code = "" if code == "#" else code     # `#` is a blank position, as in the MARC documentation
            value = value.split("\t")[0].strip()
            if not value:
                raise MappingError(path, number, "expected two tab-separated columns: code, value")
            if value.startswith("<") or (":" in value and value.split(":")[0] in bibframe.PREFIXES):
                try:
                    table[code] = (bibframe.term(value) if value.split(":")[0] in ("bf", "bflc")
                                   else NamedNode(bibframe.expand(value)))
                except UnknownTerm as exc:
                    raise MappingError(path, number, str(exc)) from None
            else:
                table[code] = value
        maps[path.stem] = table
    return maps


def load(directory: Path | None = None) -> Tables:
    """Parse, check and compile every `*.map` file in the mapping directory."""
    directory = Path(directory or MAPPING_DIR)
    maps = load_maps(directory)
    compiler = Compiler(maps)
    files = sorted(directory.glob("*.map"))
    trees = [(path, _read_lines(path)) for path in files]
    for path, roots in trees:
        for line in roots:
            words = line.text.split()
            if words[0] == "pattern":
                if len(words) != 2:
                    line.fail("expected `pattern <name>`")
                if words[1] in compiler.patterns:
                    line.fail(f"pattern {words[1]!r} is defined twice")
                compiler.patterns[words[1]] = line
    blocks: dict[str, list[Block]] = {}
    ignored: dict[str, str] = {}
    for path, roots in trees:
        for line in roots:
            words = line.text.split()
            if line.indent:
                line.fail("top-level lines (field, pattern, ignore) must not be indented")
            if words[0] == "field":
                block = compiler.block(line)
                blocks.setdefault(block.tag, []).append(block)
            elif words[0] == "ignore":
                parts = shlex.split(line.text)
                tags = [w for w in parts[1:] if re.fullmatch(r"\d{3}", w)]
                reason = " ".join(w for w in parts[1:] if w not in tags)
                if not tags or not reason:
                    line.fail('expected `ignore <tag>... "why these are not mapped"`')
                for tag in tags:
                    ignored[tag] = reason
            elif words[0] != "pattern":
                line.fail(f"unknown top-level keyword {words[0]!r} (known: field, pattern, ignore)")
    return Tables(blocks, ignored, maps, files)
