"""No portal request handler or SIP2 session opens the graph store for writing: they convert through
`run_transform(..., apply=False)` and leave the graph outbox to the applier (transform.graph_outbox)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVING = [ROOT / "portal", ROOT / "circulation" / "sip2"]
CONVERTING = {"run_transform", "receive"}          # transform.pipeline / transform.receiving


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _keyword(call, name):
    found = next((k.value for k in call.keywords if k.arg == name), None)
    return found.value if isinstance(found, ast.Constant) else found


def offences(root: Path = ROOT, folders=SERVING) -> list[str]:
    out = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
                where = f"{path.relative_to(root)}:{call.lineno}"
                name = _name(call.func)
                if name in CONVERTING and _keyword(call, "apply") is not False:
                    out.append(f"{where}: {name}() without apply=False")
                is_open = name == "open" and _name(getattr(call.func, "value", None)) == "GraphStore"
                if (is_open or name == "GraphStore") and _keyword(call, "read_only") is not True:
                    in_memory = name == "GraphStore" and call.args and isinstance(call.args[0], ast.Constant) \
                        and call.args[0].value is None
                    if not in_memory:
                        out.append(f"{where}: the graph store opened for writing")
                if name in {"bulk_extend", "write_quads"} or (name == "apply" and _name(
                        getattr(call.func, "value", None)) == "graph_outbox"):
                    out.append(f"{where}: {name}() writes the graph store")
    return out


def test_serving_processes_never_write_the_graph_store():
    assert offences() == []


def test_the_check_sees_an_offence(tmp_path):
    bad = tmp_path / "portal"
    bad.mkdir()
    (bad / "view.py").write_text("def f(s, st):\n    run_transform(s, st, ['x'])\n"
                                 "    GraphStore.open(s)\n    GraphStore.open(s, read_only=True)\n")
    assert offences(tmp_path, [bad]) == ["portal/view.py:2: run_transform() without apply=False",
                                         "portal/view.py:3: the graph store opened for writing"]
