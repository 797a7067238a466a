"""Reads the example's `# expect: QS101` annotations and the functions they sit in.

No Django here: the checker test uses this without the example being importable.
"""

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOOKSHOP = REPO / "examples" / "bookshop"

_EXPECT = re.compile(r"#\s*expect\b")
_STRICT = re.compile(r"#\s*expect:\s*(QS\d{3}(?:\s*,\s*QS\d{3})*)\s*$")


@dataclass(frozen=True)
class Function:
    path: str  # relative to examples/bookshop, with forward slashes
    module: str  # dotted, as Django imports it: "catalog.views"
    qualname: str  # as Python spells it: "Tag.catalogue", "outer.<locals>.inner"
    start: int
    end: int

    @property
    def name(self):
        return self.qualname.rsplit(".", 1)[-1]


def example_files():
    """Every Python file of the example, as paths relative to examples/bookshop."""
    files = []
    for path in sorted(BOOKSHOP.rglob("*.py")):
        rel = path.relative_to(BOOKSHOP)
        if not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            files.append(rel.as_posix())
    return files


def read_annotations(rel_path):
    """{line: frozenset of codes} for one file; a malformed `# expect` comment is an error."""
    source = (BOOKSHOP / rel_path).read_text(encoding="utf-8")
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT or not _EXPECT.search(token.string):
            continue
        match = _STRICT.fullmatch(token.string.strip())
        if match is None:
            raise ValueError(
                f"{rel_path}:{token.start[0]}: malformed annotation {token.string!r}; "
                "write `# expect: QS101` or `# expect: QS102, QS101`"
            )
        codes = [code.strip() for code in match.group(1).split(",")]
        found[token.start[0]] = frozenset(codes)
    return found


def all_annotations():
    """{(path, line, code)} over the whole example: Python files and templates."""
    return {
        (path, line, code)
        for path in example_files()
        for line, codes in read_annotations(path).items()
        for code in codes
    } | template_annotations()


_TEMPLATE_EXPECT = re.compile(r"\{#\s*expect\b(?P<rest>.*?)#\}")
_TEMPLATE_STRICT = re.compile(r"\s*:\s*(QS\d{3}(?:\s*,\s*QS\d{3})*)\s*")


def template_files():
    """Every template of the example (files under a `templates/` directory)."""
    return [
        path.relative_to(BOOKSHOP).as_posix()
        for path in sorted(BOOKSHOP.rglob("templates/**/*"))
        if path.is_file() and path.suffix in (".html", ".txt")
    ]


def template_annotations():
    """{(path, line, code)} of the `{# expect: QS101 #}` comments in the example's templates."""
    found = set()
    for rel in template_files():
        text = (BOOKSHOP / rel).read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            for match in _TEMPLATE_EXPECT.finditer(line):
                strict = _TEMPLATE_STRICT.fullmatch(match.group("rest"))
                if strict is None:
                    raise ValueError(f"{rel}:{number}: malformed annotation {match.group(0)!r}")
                for code in strict.group(1).split(","):
                    found.add((rel, number, code.strip()))
    return found


def functions_in(rel_path):
    """Every function and method defined in a file, nested ones included."""
    tree = ast.parse((BOOKSHOP / rel_path).read_text(encoding="utf-8"), filename=rel_path)
    module = rel_path[: -len(".py")].replace("/", ".")
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + child.name
                found.append(Function(rel_path, module, qualname, child.lineno, child.end_lineno))
                visit(child, qualname + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def enclosing_functions(rel_path, line):
    """The functions around a line, outermost first (empty at module level)."""
    spans = [f for f in functions_in(rel_path) if f.start <= line <= f.end]
    return sorted(spans, key=lambda f: f.start)


def classes_in(rel_path):
    """Every module-level class of a file, as Function records (qualname = class name)."""
    tree = ast.parse((BOOKSHOP / rel_path).read_text(encoding="utf-8"), filename=rel_path)
    module = rel_path[: -len(".py")].replace("/", ".")
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
    return [
        Function(rel_path, module, node.name, node.lineno, node.end_lineno)
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    ]


def enclosing_class(rel_path, line):
    """The module-level class around a line, or None."""
    for c in classes_in(rel_path):
        if c.start <= line <= c.end:
            return c
    return None


def annotated_classes():
    """{(module, class name): frozenset of codes} for declarative annotations: lines in a class
    body outside any method (a serializer field, an admin `list_display` entry), where Django
    or DRF runs the code per row. Their ground truth is tests/python/test_truth_drf_admin.py.
    """
    result = {}
    for path in example_files():
        for line, codes in read_annotations(path).items():
            if enclosing_functions(path, line):
                continue
            around = enclosing_class(path, line)
            if around is None:
                raise ValueError(f"{path}:{line}: annotation outside any function or class")
            key = (around.module, around.qualname)
            result[key] = result.get(key, frozenset()) | codes
    return result


def annotated_functions():
    """{(module, qualname): frozenset of codes} for every function holding an annotation.

    A line annotated outside any function must sit in a class body (see
    `annotated_classes`); at module level it is an error.
    """
    result = {}
    for path in example_files():
        for line, codes in read_annotations(path).items():
            around = enclosing_functions(path, line)
            if not around:
                if enclosing_class(path, line) is None:
                    raise ValueError(f"{path}:{line}: annotation outside any function or class")
                continue
            key = (around[-1].module, around[-1].qualname)
            result[key] = result.get(key, frozenset()) | codes
    return result
