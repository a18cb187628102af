"""The shell commands and code snippets shown in README.md and docs/*.md,
and how the doc test runs each one (tests/docs/docs_test.py).

A command is
- a logical line of a ```bash / ```sh / ```shell / ```console block
  (continuation lines ending in a backslash and here-documents joined; comment
  lines skipped), or
- a line starting with "$ " in any other fenced block; the lines after it, up
  to the next "$ " line or the block's end, are the output it shows.
In ```console blocks too, lines starting with "$ " are the commands and the
rest is shown output.

A snippet is all the ```python (or all the ```js) blocks of one page, in
order, run as one script against the page's service (docs_test.py says how),
unless FRAGMENTS lists the page and language with the reason.

Shown output of a shell block or snippet: an untagged or ```text fenced block
without "$ " lines that follows it with exactly one paragraph between them,
a paragraph that ends with ":" and says "print" or "output" ("Printed
(2026-11-26):", "The output below comes from ...:").

Shown output is compared with what the command printed (for a shell block:
what all its commands printed, for a snippet: what the script printed):
- its distinctive lines, the first and the last shown line (blank lines,
  "..." and "[exit N]" left out; the first only for the few commands in
  FIRST_LINE_ONLY, whose last line depends on timing), must each be part of
  a printed line, both
  masked (mask()): order ids, instance ids and UUIDs are "ID", every run of
  digits (with the hex letters, dots and commas around it: numbers, times,
  dates, hex ids) is "#", and runs of spaces are one space, so ids, times and
  figures may differ but the words and the shape may not;
- a shown line "... failed: CODE: ..." must appear, with that gRPC code;
- a last shown "[exit N]": the command exits N (default 0).

NOT_RUN is the reviewed list of commands the test does not run, each with the
reason; SHRUNK runs long commands with small arguments. Every command is run
or matched by NOT_RUN, and every NOT_RUN, SHRUNK, FIRST_LINE_ONLY and
FRAGMENTS entry must
match a command or snippet, so no list can go stale. Bazel labels named in
commands (run or not) and code spans must be real targets (doc_labels.py).
"""
import collections
import re

SCRIPT_LANGUAGES = {"bash", "sh", "shell"}
SNIPPET_LANGUAGES = {"python", "js"}
CONSOLE_LANGUAGES = {"console"}
OUTPUT_LANGUAGES = {"", "text"}

# block: the line of the ```sh fence the command is in, or None for a "$ "
# line (its shown output is its own; a shell block's is all its commands').
Command = collections.namedtuple("Command", "page line text shown expected_exit block",
                                 defaults=(None,))
Snippet = collections.namedtuple("Snippet", "page line language text shown")

# (page, language) -> why its blocks are not run: fragments, not scripts.
FRAGMENTS = {}

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

# (pattern on the command, why): commands whose last shown line depends on
# timing; only their first shown line is compared. Keep this shorter still.
FIRST_LINE_ONLY = [
    NotRun(r"client_example\.py --count 1 --spot-max-price 0\.01",
           "the order fails at once (the sold-out memory answers without the cloud), so the "
           "Watch's SNAPSHOT may show it CHECKING or already FAILED"),
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
           "bash bench/run_watch_bench.sh 200 2 --purchases=2",
           "200 streams, 2 rounds of 2 purchases instead of 10,000 streams, 4 rounds of 12",
           r"verdict: every stream saw every revision once"),
    Shrunk(r"^bash bench/run_watch_bench\.sh 10000 2 --calibrate$",
           "bash bench/run_watch_bench.sh 200 2 --purchases=2 --calibrate",
           "200 streams, 2 rounds of 2 purchases instead of 10,000 streams, 2 rounds of 12",
           r"calibration: floor2 is the floor again"),
    Shrunk(r"^bash bench/run_watch_bench\.sh 10000 4 --floor_api=async$",
           "bash bench/run_watch_bench.sh 200 2 --purchases=2 --floor_api=async",
           "200 streams, 2 rounds of 2 purchases instead of 10,000 streams, 4 rounds of 12",
           r"the floor is on the async API"),
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


Block = collections.namedtuple("Block", "start end indent language body")


def blocks(markdown):
    """Every fenced Block: fence line index, closing line index, indent,
    language, and its lines with the fence's indent removed."""
    found, lines, i = [], markdown.split("\n"), 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, language = len(fence.group(1)), fence.group(2).lower()
        end = i + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        found.append(Block(i, end, indent, language,
                           [line[indent:] for line in lines[i + 1:end]]))
        i = end + 1
    return found


def _shown_after(lines, block, following):
    """The lines of `following` when it is the shown output of `block` (see
    the module's docstring), else []."""
    if following.language not in OUTPUT_LANGUAGES or \
            any(line.startswith("$ ") for line in following.body):
        return []
    between = "\n".join(lines[block.end + 1:following.start]).strip()
    if not between or "\n\n" in between or between.startswith("#"):
        return []
    if not between.endswith(":") or not re.search(r"print|output", between, re.I):
        return []
    return following.body


def commands(page, markdown):
    """Every Command shown in one page, in order."""
    found, lines, fenced = [], markdown.split("\n"), blocks(markdown)
    for index, block in enumerate(fenced):
        start = block.start + 2
        if block.language in SCRIPT_LANGUAGES:
            shown = _shown_after(lines, block, fenced[index + 1]) \
                if index + 1 < len(fenced) else []
            texts = list(_logical_lines(block.body, start))
            for k, (number, text) in enumerate(texts):
                found.append(Command(page, number, text, shown if k == len(texts) - 1 else [],
                                     0, block.start + 1))
        else:
            for number, text, shown in _prompted(block.body, start):
                exits = [int(m.group(1)) for m in map(EXIT_LINE.match, shown) if m]
                found.append(Command(page, number, text, shown, exits[-1] if exits else 0))
    return found


def snippets(page, markdown):
    """One Snippet per snippet language of the page: its blocks joined, the
    output shown after any of them, the first block's line."""
    found, lines, fenced = {}, markdown.split("\n"), blocks(markdown)
    for index, block in enumerate(fenced):
        if block.language not in SNIPPET_LANGUAGES:
            continue
        shown = _shown_after(lines, block, fenced[index + 1]) if index + 1 < len(fenced) else []
        if block.language not in found:
            found[block.language] = Snippet(page, block.start + 2, block.language, "", [])
        old = found[block.language]
        found[block.language] = old._replace(text=old.text + "\n".join(block.body) + "\n",
                                             shown=old.shown + shown)
    return list(found.values())


def fragment_reason(snippet):
    return FRAGMENTS.get((snippet.page, snippet.language))


def anchors(markdown):
    """GitHub's anchors of a page's headings; a "# " line inside a fenced
    block is not a heading."""
    lines = markdown.split("\n")
    for block in blocks(markdown):
        for i in range(block.start, min(block.end + 1, len(lines))):
            lines[i] = ""
    found = set()
    for heading in re.findall(r"^#+\s+(.*)$", "\n".join(lines), re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return found


MASKS = [
    (re.compile(r"\b(ord-[0-9a-f]{16}|ins-[0-9a-z]+|"
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"), "ID"),
    (re.compile(r"[0-9a-f]*[0-9][0-9a-f.,]*"), "#"),
    (re.compile(r"\s+"), " "),
]


def mask(line):
    """A line with ids, numbers and spacing masked (see the module's docstring)."""
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return line.strip()


def distinctive_lines(shown, first_only=False):
    """The first and last shown lines that are not blank, "..." or "[exit N]"
    (the first only for a command of FIRST_LINE_ONLY)."""
    kept = [line for line in shown
            if line.strip() and line.strip() != "..." and not EXIT_LINE.match(line.strip())]
    return list(dict.fromkeys(kept[:1] + ([] if first_only else kept[-1:])))


def first_line_only(command):
    return any(re.search(entry.pattern, command.text) for entry in FIRST_LINE_ONLY)


def unmatched_output(shown, output, first_only=False):
    """The distinctive shown lines that no printed line contains."""
    printed = [mask(line) for line in output.split("\n")]
    return [line for line in distinctive_lines(shown, first_only)
            if not any(mask(line) in actual for actual in printed)]


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


def unused_entries(all_commands, all_snippets=()):
    """NOT_RUN and SHRUNK patterns that match no command, FRAGMENTS entries
    that match no snippet (a stale list)."""
    stale = [key for key in FRAGMENTS
             if not any((s.page, s.language) == key for s in all_snippets)]
    for entry in NOT_RUN + SHRUNK + FIRST_LINE_ONLY:
        if not any(re.search(entry.pattern, c.text) for c in all_commands):
            stale.append(entry.pattern)
    return stale


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
    return [(block.start + 2 + k, line.strip()) for block in blocks(markdown)
            if block.language == "" for k, line in enumerate(block.body)
            if COMMAND_WORDS.match(line)]
