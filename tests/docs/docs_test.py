"""//tests/docs:docs_test: the README and docs/ cannot rot.

Cases (one JUnit case each, see deploy/tests/junit.py):
- README.md has at most 250 lines; every page the README promises exists;
  every relative link in README.md and docs/*.md resolves (file and anchor).
- Every shell command shown in them (tests/docs/doc_commands.py) is run, in
  page order, in one bash session per page started in a copy of the
  workspace (cwd, exports and files carry from one command to the next, as
  in a reader's terminal), against the service that the README's first
  command starts: `bash tools/run.sh` (SQLite + the local CVM emulator on
  127.0.0.1:50051 / :9000 / :9464), fresh for each page. A page that shows
  `bash tools/run.sh ARGS` restarts it with those arguments. The test runs in
  a network namespace of its own, so those fixed ports are its own.
  Pages in docs/ are run as after the README's tour: provisionctl is on
  PATH (the README's own `export PATH=...` is run, not assumed).
  `bazel build`, `bazel run` and `bazel info` are answered from the test's
  runfiles (tests/docs/bazel); tools/install_deps.sh only checks
  (CVM_DEPS_CHECK_ONLY=1): tools/test.sh installed everything before.
  Commands the test cannot run are skipped cases naming the reason.
- Shown output is compared with the printed output: its first and last lines
  with ids, numbers and spacing masked, and its "failed: CODE" lines (the
  rule: tests/docs/doc_commands.py).
- Every page's ```python blocks run as one script with /usr/bin/python3
  (PYTHONPATH: bazel-bin/proto, the google.rpc modules and tests/python, the
  repository's client helpers), its ```js blocks as one script with node, as
  the body of an async function (top-level await works), from the workspace
  root (require("./tests/node/...") works) with the npm packages of
  tools/install_deps.sh on NODE_PATH, against the page's service; either
  must exit 0 and print the output shown after it. FRAGMENTS in
  doc_commands.py lists snippets that are not scripts.
- Every Bazel label in a command (run or listed in NOT_RUN, as the
  `bazel test` lines are) or an inline code span is a real target, found in
  the BUILD.bazel files this test has as data (tests/docs/doc_labels.py).
"""
import glob
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))  # the runfiles: what is built
# The source tree (the test runs outside the sandbox, and its runfiles link
# there): the files the pages link and their commands read, as a reader has them.
SOURCE = os.path.dirname(os.path.realpath(os.path.join(ROOT, "README.md")))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "deploy", "tests"))
import doc_commands  # noqa: E402
import doc_labels  # noqa: E402
from doc_processes import Service, Shell  # noqa: E402
from junit import Cases, Skip  # noqa: E402

MAX_README_LINES = 250
REQUIRED_PAGES = ["architecture", "api", "tencent-cloud", "operations", "benchmarks", "plugins",
                  "fuzzing"]
TMP = os.environ.get("TEST_TMPDIR", "/tmp")
COMMAND_TIMEOUT = 420
IDS = re.compile(r"\b(ord-[0-9a-f]{16}|ins-[0-9a-z]{8})\b")
FAILED_CODE = re.compile(r"failed: ([A-Z_]{5,}):")
NODE_MODULES = os.environ.get("CVM_NODE_MODULES", "/var/cache/cvm-provisioner/node/node_modules")
RPC_PY = os.path.join(os.path.dirname(ROOT), "googleapis_rpc")  # @googleapis_rpc//:rpc_py

# label -> path under bazel-bin, as tests/docs/BUILD.bazel puts them in the runfiles.
BUILT = {
    "//service:provisioner": "service/provisioner",
    "//backends/tencentcloud/emulator:cvm_emulator_server":
        "backends/tencentcloud/emulator/cvm_emulator_server",
    "//cli:provisionctl": "cli/provisionctl",
    "//proto:provisioning_py": "proto",
    "//bench:signer_bench": "bench/signer_bench",
    "//bench:polling_bench": "bench/polling_bench",
    "//bench:purchase_bench": "bench/purchase_bench",
    "//bench:replicas_bench": "bench/replicas_bench",
    "//bench:watch_bench": "bench/watch_bench",
    "//plugins/sample:libcvm_sample_backend.so": "plugins/sample/libcvm_sample_backend.so",
    "//plugins/sample:libcvm_sample_backend_v1.so": "plugins/sample/libcvm_sample_backend_v1.so",
    "//plugins/sample:libcvm_sample_policy.so": "plugins/sample/libcvm_sample_policy.so",
}
FUZZERS = ["request_validation_fuzzer", "tencent_response_fuzzer", "emulator_request_fuzzer",
           "service_config_fuzzer"]
for _name in FUZZERS:
    BUILT[f"//fuzz:{_name}"] = f"fuzz/{_name}.bin"


def pages():
    return ["README.md"] + sorted(os.path.relpath(p, SOURCE)
                                  for p in glob.glob(os.path.join(SOURCE, "docs", "*.md")))


def read(page):
    with open(os.path.join(SOURCE, page), encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------- structure

def check_readme_length():
    lines = read("README.md").count("\n")
    print(f"README.md: {lines} lines (at most {MAX_README_LINES})")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines, more than {MAX_README_LINES}"


def check_required_pages():
    readme = read("README.md")
    for name in REQUIRED_PAGES:
        page = f"docs/{name}.md"
        assert os.path.exists(os.path.join(SOURCE, page)), f"{page} is missing"
        assert f"({page}" in readme, f"README.md does not link {page}"


def check_links(page):
    def check():
        text = re.sub(r"```.*?```", "", read(page), flags=re.S)
        bad, count = [], 0
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            count += 1
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(os.path.join(SOURCE, resolved)):
                bad.append(f"{target} ({resolved} does not exist)")
            elif anchor and resolved.endswith(".md") and anchor not in doc_commands.anchors(read(resolved)):
                bad.append(f"{target} (no heading #{anchor} in {resolved})")
        print(f"{page}: {count} relative links")
        assert not bad, f"{page}: broken links: " + "; ".join(bad)
    return check


def check_labels(page, page_commands, build_files):
    def check():
        markdown = read(page)
        places = [c.text for c in page_commands] + \
            [text for _, text in doc_labels.prose_code_spans(markdown)]
        count = sum(len(doc_labels.labels_in(text)) for text in places)
        bad = doc_labels.unknown_labels(page, markdown, page_commands, build_files)
        print(f"{page}: {count} Bazel labels")
        assert not bad, "labels that are not targets (or whose BUILD.bazel is not in " \
            "//tests/docs:build_files):\n" + "\n".join(bad)
    return check


# ---------------------------------------------------------------- workspace

def make_workspace():
    """A copy of the workspace: symlinks to the source tree, a bazel-bin of
    the built targets (from the runfiles), the bazel stand-in on PATH, a fuzz corpus of its own (the
    merge command writes into it)."""
    ws = os.path.join(TMP, "workspace")
    os.makedirs(ws)
    for entry in os.listdir(SOURCE):
        if entry not in ("fuzz", ".git") and not entry.startswith("bazel-"):
            os.symlink(os.path.join(SOURCE, entry), os.path.join(ws, entry))
    shutil.copytree(os.path.join(SOURCE, "fuzz"), os.path.join(ws, "fuzz"))
    bazel_bin = os.path.join(ws, "bazel-bin")
    for label, path in BUILT.items():
        source = os.path.join(ROOT, path)
        assert os.path.exists(source), f"{label} is not in the test's runfiles ({source})"
        os.makedirs(os.path.dirname(os.path.join(bazel_bin, path)), exist_ok=True)
        if not os.path.lexists(os.path.join(bazel_bin, path)):
            os.symlink(source, os.path.join(bazel_bin, path))
    srcdir = os.path.dirname(ROOT)  # the runfiles root: what a binary's .runfiles holds
    for bench in ("purchase_bench", "replicas_bench", "watch_bench"):
        os.symlink(srcdir, os.path.join(bazel_bin, "bench", f"{bench}.runfiles"))
    tools = os.path.join(TMP, "doctools")
    os.makedirs(tools)
    shutil.copy(os.path.join(HERE, "bazel"), os.path.join(tools, "bazel"))
    os.chmod(os.path.join(tools, "bazel"), 0o755)
    with open(os.path.join(tools, "targets"), "w") as f:
        f.write("".join(f"{label}\n" for label in BUILT))
    return ws, tools


def shell_env(ws, tools):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEST_", "RUNFILES", "XML_OUTPUT", "BAZEL", "JAVA_RUNFILES"))}
    home = os.path.join(TMP, "home")
    os.makedirs(home, exist_ok=True)
    env.update({
        "PATH": f"{tools}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": home, "TMPDIR": TMP, "TERM": "dumb", "PYTHONDONTWRITEBYTECODE": "1",
        "CVM_DEPS_CHECK_ONLY": "1", "DOCTEST_BAZEL_BIN": os.path.join(ws, "bazel-bin"),
        "DOCTEST_TARGETS": os.path.join(tools, "targets"),
        "FUZZ_WORK": os.path.join(TMP, "fuzz-work"),
    })
    return env


# ---------------------------------------------------------------- commands

class PageRun:
    """Runs one page's commands, in order, in one shell."""

    def __init__(self, ws, env, page):
        self.ws, self.env = ws, dict(env)
        if page != "README.md":
            self.env["PATH"] = os.path.join(ws, "bazel-bin", "cli") + ":" + env["PATH"]
        self.shell, self.service, self.ids = None, None, {}
        self.block, self.block_output = None, ""

    def start(self, command="bash tools/run.sh"):
        if self.service:
            self.service.stop()
        self.service = None
        self.service = Service(self.ws, self.env, command)
        if not self.shell:
            self.shell = Shell(self.ws, self.env)

    def close(self):
        for process in (self.shell, self.service):
            if process:
                process.close() if process is self.shell else process.stop()

    def case(self, command):
        def check():
            reason = doc_commands.not_run_reason(command)
            if reason:
                return Skip(reason)
            text, entry = doc_commands.shrunk(command)
            if re.match(r"^bash tools/run\.sh\b", text):
                self.start(text)
                print(f"  started: {text}")
                return None
            if not self.shell:
                self.start()
            for shown, actual in self.ids.items():
                text = re.sub(rf"\b{re.escape(shown)}\b", actual, text)
            started = time.time()
            code, output = self.shell.run(text, COMMAND_TIMEOUT)
            print(f"  $ {text}\n  exit {code} after {time.time() - started:.1f} s; "
                  f"last lines:\n" + "".join(f"    {line}\n" for line in output.splitlines()[-4:]))
            if command.block != self.block:
                self.block, self.block_output = command.block, ""
            self.block_output += output
            if entry:
                assert code in (0, 1), f"exit {code}:\n{output}"
                assert re.search(entry.expect, output), f"no /{entry.expect}/ in:\n{output}"
            else:
                assert code == command.expected_exit, \
                    f"exit {code}, the page shows {command.expected_exit}; output:\n{output}"
            self.compare(command.shown, self.block_output if command.block else output,
                         doc_commands.first_line_only(command))
            return None
        return check

    def compare(self, shown, output, first_only=False):
        """The shown output against the printed one (doc_commands' rule)."""
        shown_text = "\n".join(shown)
        for code_name in FAILED_CODE.findall(shown_text):
            assert code_name in output, f"the page shows {code_name}; output:\n{output}"
        missing = doc_commands.unmatched_output(shown, output, first_only)
        assert not missing, "shown lines not printed (masked: " + "; ".join(
            doc_commands.mask(line) for line in missing) + f"); output:\n{output}"
        if shown:
            print(f"  shown output matches: "
                  f"{len(doc_commands.distinctive_lines(shown, first_only))} lines")
        self.remember_ids(shown_text, output)

    def snippet(self, snippet):
        def check():
            reason = doc_commands.fragment_reason(snippet)
            if reason:
                return Skip(reason)
            if not self.shell:
                self.start()
            if snippet.language == "python":
                path = os.path.join(TMP, f"snippet-{time.time_ns()}.py")
                text = snippet.text
                run = (f"PYTHONPATH=bazel-bin/proto:{RPC_PY}:tests/python "
                       f"/usr/bin/python3 {path}")
            else:  # in the workspace root, as the page's require("./tests/node/...") reads
                path = os.path.join(self.ws, f".doctest-snippet-{time.time_ns()}.js")
                text = ("(async () => {\n" + snippet.text +
                        "})().catch((error) => { console.error(error); process.exit(1); });\n")
                run = f"NODE_PATH={NODE_MODULES} node {path}"
            with open(path, "w") as f:
                f.write(text)
            started = time.time()
            code, output = self.shell.run(run, COMMAND_TIMEOUT)
            print(f"  $ {run}\n  exit {code} after {time.time() - started:.1f} s\n  " +
                  output.replace("\n", "\n  "))
            assert code == 0, f"exit {code}:\n{output}"
            self.compare(snippet.shown, output)
            return None
        return check

    def remember_ids(self, shown, actual):
        """Pairs the ids an output shows with the ones the run printed, in
        order of appearance, so later commands name the real ones."""
        def firsts(text):
            seen = []
            for found in IDS.findall(text):
                if found not in seen:
                    seen.append(found)
            return seen
        for kind in ("ord-", "ins-"):
            for s, a in zip([i for i in firsts(shown) if i.startswith(kind)],
                            [i for i in firsts(actual) if i.startswith(kind)]):
                self.ids.setdefault(s, a)


def main():
    cases = Cases("docs")
    cases.run("README.md at most 250 lines", check_readme_length)
    cases.run("docs pages exist and the README links them", check_required_pages)
    all_pages = pages()
    for page in all_pages:
        cases.run(f"{page}: relative links resolve", check_links(page))
    found = {page: doc_commands.commands(page, read(page)) for page in all_pages}
    every = [c for page in all_pages for c in found[page]]

    def languages_known():
        unknown = {page: doc_commands.unknown_languages(read(page)) for page in all_pages}
        unknown = {page: langs for page, langs in unknown.items() if langs}
        assert not unknown, f"fenced blocks in languages the test does not know: {unknown}"
    cases.run("every fenced block's language is known", languages_known)

    def commands_tagged():
        loose = [f"{page}:{n}: {text}" for page in all_pages
                 for n, text in doc_commands.untagged_commands(read(page))]
        assert not loose, "shell commands outside ```sh blocks and $ lines:\n" + "\n".join(loose)
    cases.run("every shell command is in a ```sh block or on a $ line", commands_tagged)

    snips = {page: doc_commands.snippets(page, read(page)) for page in all_pages}
    every_snippet = [s for page in all_pages for s in snips[page]]

    def lists_current():
        stale = doc_commands.unused_entries(every, every_snippet)
        assert not stale, f"entries that match no command or snippet in the docs: {stale}"
    cases.run("every NOT_RUN, SHRUNK and FRAGMENTS entry matches", lists_current)

    build_files = doc_labels.BuildFiles(ROOT, SOURCE)
    for page in all_pages:
        cases.run(f"{page}: Bazel labels are targets", check_labels(page, found[page],
                                                                     build_files))

    ws, tools = make_workspace()
    env = shell_env(ws, tools)
    ran = skipped = scripts = 0
    for page in all_pages:
        if not found[page] and not snips[page]:
            continue
        run = PageRun(ws, env, page)
        try:
            for command in found[page]:
                first_line = command.text.split("\n")[0][:100]
                cases.run(f"{page}:{command.line}: {first_line}", run.case(command))
                if doc_commands.not_run_reason(command):
                    skipped += 1
                else:
                    ran += 1
            for snippet in snips[page]:
                cases.run(f"{page}:{snippet.line}: the {snippet.language} blocks as one script",
                          run.snippet(snippet))
                scripts += 0 if doc_commands.fragment_reason(snippet) else 1
        finally:
            run.close()
    print(f"docs commands: {len(every)} shown, {ran} run, {skipped} not run (listed in "
          f"NOT_RUN), {sum(1 for c in every if doc_commands.shrunk(c)[1])} of them shrunk; "
          f"{scripts} of {len(every_snippet)} snippet scripts run")
    cases.finish()


if __name__ == "__main__":
    main()
