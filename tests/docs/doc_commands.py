"""The shell commands shown in README.md and docs/*.md, and how the doc test
runs each one (tests/docs/docs_test.py).

A command is
- a logical line of a ```bash / ```sh / ```shell / ```console block
  (continuation lines ending in a backslash and here-documents joined; comment
  lines skipped), or
- a line starting with "$ " in any other fenced block; the lines after it, up
  to the next "$ " line or the block's end, are the output it shows.
In ```console blocks too, lines starting with "$ " are the commands and the
rest is shown output.

Shown output may end with "[exit N]": the command is expected to exit N
(default 0). A shown line "... failed: CODE: ..." must appear, with that gRPC
code, in what the command prints.

NOT_RUN is the reviewed list of commands the test does not run, each with the
reason; SHRUNK runs long commands with small arguments. Every command is run
or matched by NOT_RUN, and every NOT_RUN and SHRUNK entry must match a
command, so neither list can go stale.
"""
import collections
import re

SCRIPT_LANGUAGES = {"bash", "sh", "shell"}
# Pages whose ```python blocks together are one script the test runs
# (PYTHONPATH=bazel-bin/proto, against the page's service).
PYTHON_PAGES = {"docs/api.md"}
CONSOLE_LANGUAGES = {"console"}

Command = collections.namedtuple("Command", "page line text shown expected_exit")

# (pattern on the command, why the test does not run it). Keep this short.
NotRun = collections.namedtuple("NotRun", "pattern reason")
NOT_RUN = [
    NotRun(r"^bash tools/test\.sh",
           "it is the test suite that runs this test (CI's .ci/run is exactly this command)"),
    NotRun(r"^bazel test ",
           "Bazel cannot run inside a Bazel test; the targets named run in tools/test.sh "
           "(the chaos test with its CI size of 60 purchases)"),
    NotRun(r"^(kubectl|kustomize|docker|\(cd deploy/kubernetes)",
           "no Kubernetes cluster, kubectl or docker in CI; //deploy:k8s_manifests_test "
           "validates every manifest and both overlays against the Kubernetes schemas"),
]

# (pattern, replacement, why): long runs shrunk to a few seconds. The figures
# they print are then not the documented ones, and a benchmark may miss its
# speed target on a busy CI machine (exit 1 with its FAIL verdict): the run
# passes when the command exits 0 or 1 and prints `expect`.
Shrunk = collections.namedtuple("Shrunk", "pattern replacement reason expect")
SHRUNK = [
    Shrunk(r"^(FUZZ_MERGE=1 )?bash fuzz/run_fuzzers\.sh \d+", r"\g<1>bash fuzz/run_fuzzers.sh 2",
           "each fuzzer for 2 s instead of 10 to 60 minutes", r"executions, coverage"),
    Shrunk(r"^bash bench/run_signer_bench\.sh$", "bash bench/run_signer_bench.sh 2000",
           "2,000 signatures per round instead of 200,000", r"same Authorization header: yes"),
    Shrunk(r"^bash bench/run_purchase_bench\.sh$", "bash bench/run_purchase_bench.sh 300 4",
           "300 purchases from 4 clients instead of 20,000 from 32", r"durable: \d+ of \d+"),
    Shrunk(r"^bash bench/run_watch_bench\.sh$",
           "bash bench/run_watch_bench.sh 200 1 --purchases=2",
           "200 streams, 1 round of 2 purchases instead of 10,000 streams, 3 rounds of 12",
           r"verdict: every stream saw every revision once"),
    Shrunk(r"^bash bench/run_replicas_bench\.sh$", "bash bench/run_replicas_bench.sh 60",
           "60 purchases per configuration instead of 3,000", r"3 replicas, PostgreSQL"),
]

FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
# Languages of fenced blocks that hold no shell command (their "$ " lines
# still count). A block in any other language fails the test, so a shell
# block cannot hide behind a new name (```zsh, ```shell-session).
KNOWN_LANGUAGES = SCRIPT_LANGUAGES | CONSOLE_LANGUAGES | {
    "", "python", "js", "yaml", "json", "text", "textproto", "proto", "promql"}
EXIT_LINE = re.compile(r"^\[exit (\d+)\]$")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


def _logical_lines(lines, start):
    """Yields (line number, text) of each command in script lines: backslash
    continuations and here-documents joined, blank and comment lines skipped."""
    i = 0
    while i < len(lines):
        first = i
        text = lines[i]
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text += "\n" + lines[i]
        heredoc = HEREDOC.search(text)
        if heredoc:
            while i + 1 < len(lines):
                i += 1
                text += "\n" + lines[i]
                if lines[i].strip() == heredoc.group(1):
                    break
        i += 1
        if text.strip() and not text.lstrip().startswith("#"):
            yield start + first, text


def _prompted(lines, start):
    """Yields (line number, command, shown output lines) for "$ " lines."""
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        first = i
        text = lines[i][2:]
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text += "\n" + lines[i]
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        yield start + first, text, shown


def commands(page, markdown):
    """Every Command shown in one page, in order."""
    found = []
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, language = len(fence.group(1)), fence.group(2).lower()
        end = i + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        body, start = [line[indent:] for line in lines[i + 1:end]], i + 2
        if language in SCRIPT_LANGUAGES:
            for number, text in _logical_lines(body, start):
                found.append(Command(page, number, text, [], 0))
        else:
            for number, text, shown in _prompted(body, start):
                exits = [int(m.group(1)) for m in map(EXIT_LINE.match, shown) if m]
                found.append(Command(page, number, text, shown, exits[-1] if exits else 0))
        i = end + 1
    return found


def not_run_reason(command):
    for entry in NOT_RUN:
        if re.search(entry.pattern, command.text):
            return entry.reason
    return None


def shrunk(command):
    """(the command to run, the Shrunk entry or None)."""
    for entry in SHRUNK:
        if re.search(entry.pattern, command.text):
            return re.sub(entry.pattern, entry.replacement, command.text), entry
    return command.text, None


def unused_entries(all_commands):
    """NOT_RUN and SHRUNK patterns that match no command (a stale list)."""
    stale = []
    for entry in NOT_RUN + SHRUNK:
        if not any(re.search(entry.pattern, c.text) for c in all_commands):
            stale.append(entry.pattern)
    return stale


def python_script(markdown):
    """The ```python blocks of a page, in order, as one script."""
    return "\n".join(re.findall(r"^```python\s*\n(.*?)^```\s*$", markdown, re.M | re.S))


def unknown_languages(markdown):
    """Languages of fenced blocks that are not in KNOWN_LANGUAGES."""
    return sorted({m.group(2).lower() for m in map(FENCE.match, markdown.split("\n"))
                   if m and m.group(2).lower() not in KNOWN_LANGUAGES})


# A line of an untagged block starting with one of these looks like a shell
# command: it must be in a ```sh block (run or listed) or a "$ " line.
COMMAND_WORDS = re.compile(r"^((kubectl|kustomize|docker|bazel|bash|sh|provisionctl|curl|python3|"
                           r"/usr/bin/python3|export|cat|cd)\s|PYTHONPATH=|bazel-bin/)")


def untagged_commands(markdown):
    """(line number, text) of lines in untagged fenced blocks that look like
    shell commands."""
    found, lines, inside, language = [], markdown.split("\n"), False, ""
    for number, line in enumerate(lines, 1):
        fence = FENCE.match(line)
        if fence and not inside:
            inside, language, indent = True, fence.group(2).lower(), len(fence.group(1))
        elif inside and re.match(r"^\s*```\s*$", line):
            inside = False
        elif inside and language == "" and COMMAND_WORDS.match(line[indent:]):
            found.append((number, line.strip()))
    return found
