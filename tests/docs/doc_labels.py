"""The Bazel labels the docs name, and whether each is a real target
(//tests/docs:docs_test), without running Bazel (the test runs inside it).

A label is a `//pkg:name`, `//pkg` (short for `//pkg:<last part of pkg>`),
`//pkg:all`/`:*`/`:all-targets` or `//pkg/...` token in
- a shell command the docs show (tests/docs/doc_commands.py), run or listed in
  NOT_RUN (`bazel test ...` lines are listed: Bazel cannot run inside a Bazel
  test, so the label check is what keeps them honest), or
- an inline code span in the prose (`bazel test //x:y`, `//x:y`).
Placeholders (`//fuzz:<target>_test`) are not labels.

A label is real when
- `//pkg/...`: pkg/BUILD.bazel exists, or one below it does;
- `:all`, `:*`, `:all-targets`: pkg/BUILD.bazel exists;
- `//pkg:name`: pkg/BUILD.bazel declares a rule `name`, or pkg/name is a file
  (a source file is a target too).
Rules are found by evaluating BUILD.bazel as Python (Starlark is close
enough for these files): every rule call records its `name`; load()ed .bzl
macros are evaluated the same way, so `fuzz_tests(name = "x")` declares
`x`, `x_test` and `x_replay_test` as Bazel does. A load() whose file is not
readable makes its symbols plain rules (only `name` is declared).
"""
import ast
import builtins
import os
import re

# A label token in a command or code span: not after "@" (another repository),
# "/" or ":" (a URL, tencentcloud:///zone/id), not before a placeholder.
LABEL = re.compile(r"(?<![\w@/:])//([\w.+-]+(?:/[\w.+-]+)*|)(?::([\w.+/-]+))?(?![\w<*{:])")
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)*)`(?!`)")
FENCE_LINE = re.compile(r"^\s*```")
PSEUDO_TARGETS = {"all", "*", "all-targets"}


def labels_in(text):
    """(label as written, package, name or None, recursive) in a text."""
    found = []
    for match in LABEL.finditer(text):
        package, name = match.group(1), match.group(2)
        recursive = package == "..." or package.endswith("/...")
        if recursive:
            package = package[:-len("...")].rstrip("/")
        if not package and not name and not recursive:
            continue  # a bare "//"
        found.append((match.group(0), package, name, recursive))
    return found


def prose_code_spans(markdown):
    """(line number, text) of the inline code spans outside fenced blocks."""
    lines, kept, inside = markdown.split("\n"), [], False
    for line in lines:
        if FENCE_LINE.match(line):
            inside = not inside
            kept.append("")
        else:
            kept.append("" if inside else line)
    text = "\n".join(kept)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in CODE_SPAN.finditer(text)]


class _Any:
    """What an unknown Starlark name stands for: a rule (calling it records
    `name`) or anything else (an attribute or call of it is another _Any)."""

    def __init__(self, names):
        self._names = names

    def __call__(self, *args, **kwargs):
        if isinstance(kwargs.get("name"), str):
            self._names.add(kwargs["name"])
        return self

    def __getattr__(self, attr):
        return self

    def __add__(self, other):
        return other

    __radd__ = __add__


class BuildFiles:
    """The targets of the packages whose BUILD.bazel is under `root` (a
    source tree or the runfiles); source files are looked up under `sources`
    (default: root)."""

    def __init__(self, root, sources=None):
        self.root, self.sources = root, sources or root
        self._targets = {}

    def read(self, path):
        try:
            with open(os.path.join(self.root, path), encoding="utf-8") as f:
                return f.read()
        except OSError:
            return None

    def targets(self, package):
        """The rule names BUILD.bazel of `package` declares, or None without one."""
        if package not in self._targets:
            text = self.read(os.path.join(package, "BUILD.bazel"))
            names = set()
            if text is not None:
                self._evaluate(text, f"{package}/BUILD.bazel", package, names, {})
            self._targets[package] = names if text is not None else None
        return self._targets[package]

    def _evaluate(self, text, filename, package, names, module):
        """Runs one BUILD or .bzl file; returns its globals."""
        tree = ast.parse(text, filename)
        unknown = _Any(names)
        scope = {name.id: unknown for name in ast.walk(tree)
                 if isinstance(name, ast.Name) and not hasattr(builtins, name.id)}

        def glob(*args, **kwargs):
            return []

        def select(choices, **kwargs):
            return next(iter(choices.values()))

        class Native:
            def __getattr__(self, attr):
                return {"glob": glob, "package_name": lambda: package,
                        "repository_name": lambda: "@"}.get(attr, unknown)

        def load(label, *symbols, **aliases):
            loaded = self._load(label, package, names)
            for alias, symbol in [(s, s) for s in symbols] + list(aliases.items()):
                scope[alias] = loaded.get(symbol, unknown) if loaded else unknown

        scope.update({"glob": glob, "select": select, "native": Native(), "load": load,
                      "fail": lambda *a, **k: None, "struct": lambda **k: k})
        scope.update(module)
        exec(compile(tree, filename, "exec"), scope)  # noqa: S102 - our own BUILD files
        return scope

    def _load(self, label, package, names):
        if label.startswith(":"):
            path = os.path.join(package, label[1:])
        elif label.startswith("//"):
            path = label[2:].replace(":", "/")
        else:
            return None  # another repository's .bzl
        text = self.read(path)
        return None if text is None else self._evaluate(text, path, package, names, {})

    def missing(self, package, name, recursive):
        """Why the label is not a real target, or None when it is."""
        if recursive:
            base = os.path.join(self.root, package)
            for directory, _, files in os.walk(base):
                if "BUILD.bazel" in files or "BUILD" in files:
                    return None
            return f"no BUILD.bazel under {package or '.'}/"
        targets = self.targets(package)
        if targets is None:
            return f"no {package or '.'}/BUILD.bazel"
        name = name or package.rsplit("/", 1)[-1]
        if name in targets or name in PSEUDO_TARGETS:
            return None
        if os.path.isfile(os.path.join(self.sources, package, name)):
            return None
        return f"{package or '.'}/BUILD.bazel declares no rule {name!r}"


def unknown_labels(page, markdown, page_commands, build_files):
    """'page:line: label (why)' for every label of the page's commands and
    code spans that is not a real target."""
    places = [(c.line, c.text) for c in page_commands] + prose_code_spans(markdown)
    bad = []
    for line, text in places:
        for written, package, name, recursive in labels_in(text):
            why = build_files.missing(package, name, recursive)
            if why:
                bad.append(f"{page}:{line}: {written} ({why})")
    return bad
