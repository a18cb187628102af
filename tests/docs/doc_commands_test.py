"""//tests/docs:doc_commands_test: what the doc test takes for a command."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "deploy", "tests"))
import doc_commands  # noqa: E402
import doc_labels  # noqa: E402
from junit import Cases  # noqa: E402

PAGE = """# A page

```sh
bazel build //cli:provisionctl   # a comment after a command
# a comment line

cat > x.textproto <<'END'
a: 1
END
provisionctl purchase --region=r \\
    --count=2
```

```console
$ provisionctl describe ord-0123456789abcdef
Order ord-0123456789abcdef  ACTIVE
$ provisionctl purchase --count=0
provisionctl: purchase failed: INVALID_ARGUMENT: instance_count: must be between 1 and 100
[exit 2]
```

1. In a list:
   ```sh
   kubectl apply -k deploy/kubernetes/overlays/single
   ```

```
$ provisionctl group list
GROUP  STATE
bazel test //some:target
```

```python
print("python")
```
"""


def check_script_blocks():
    texts = [c.text for c in doc_commands.commands("p.md", PAGE)]
    assert texts[:3] == ["bazel build //cli:provisionctl   # a comment after a command",
                         "cat > x.textproto <<'END'\na: 1\nEND",
                         "provisionctl purchase --region=r \\\n    --count=2"], texts


def check_prompts_and_exits():
    found = {c.text: c for c in doc_commands.commands("p.md", PAGE)}
    assert found["provisionctl describe ord-0123456789abcdef"].expected_exit == 0
    assert found["provisionctl purchase --count=0"].expected_exit == 2
    assert found["provisionctl group list"].shown[0] == "GROUP  STATE"


def check_indented_fence():
    found = [c for c in doc_commands.commands("p.md", PAGE) if c.text.startswith("kubectl")]
    assert [c.text for c in found] == ["kubectl apply -k deploy/kubernetes/overlays/single"]
    assert doc_commands.not_run_reason(found[0]), "kubectl must be listed in NOT_RUN"


def check_untagged_and_unknown():
    assert doc_commands.untagged_commands(PAGE) == [(30, "bazel test //some:target")]
    assert doc_commands.unknown_languages(PAGE + "```zsh\nls\n```\n") == ["zsh"]
    assert doc_commands.unknown_languages(PAGE) == []


def check_shrunk_and_snippets():
    command = doc_commands.Command(
        "p.md", 1, "bash fuzz/run_fuzzers.sh 3600 tencent_response_fuzzer", [], 0)
    text, entry = doc_commands.shrunk(command)
    assert text == "bash fuzz/run_fuzzers.sh 2 tencent_response_fuzzer" and entry, text
    page = PAGE + "\nMore:\n\n```python\nprint(2)\n```\n\nIt printed:\n\n```\n1\n2\n```\n"
    found = doc_commands.snippets("p.md", page)
    assert [(s.language, s.line, s.text, s.shown) for s in found] == \
        [("python", 34, 'print("python")\nprint(2)\n', ["1", "2"])], found
    assert doc_commands.fragment_reason(found[0]) is None
    stale = doc_commands.unused_entries([], found)
    assert not [entry for entry in stale if isinstance(entry, tuple)], stale


OUTPUT_PAGE = """```sh
bash bench/run_polling_bench.sh
bash bench/run_polling_bench.sh --again
```

The benchmark printed (2026-11-26):

```
     N  watchers  calls
    10         1  1,1,1,1
```

```sh
make_config
```

A config with both:

```
backends { }
```

```sh
other
```

First paragraph, which prints:

Second paragraph:

```
not output
```
"""


def check_output_blocks():
    found = doc_commands.commands("p.md", OUTPUT_PAGE)
    shown = {c.text: c.shown for c in found}
    assert shown["bash bench/run_polling_bench.sh"] == [], "the block's last command shows it"
    assert shown["bash bench/run_polling_bench.sh --again"][1].strip().startswith("10"), shown
    assert shown["make_config"] == [], "a config after a block is not output (no print/output)"
    assert shown["other"] == [], "two paragraphs between: not its output"
    assert {c.block for c in found[:2]} == {1} and found[2].block == 13, found


def check_output_comparison():
    mask = doc_commands.mask
    assert mask("order ord-01a240b63ed10000 ACTIVE: ins-00000001 at +6.2s") == \
        mask("order ord-0bcdef0123456789 ACTIVE:   ins-3ven36lk at +12.25s") == \
        "order ID ACTIVE: ID at +#s"
    assert mask("request id cb95af68-e37f-4b50-8117-2df29fdff722, 10,000 streams") == \
        "request id ID, # streams"
    shown = ["", "Quote for 2 x S5.MEDIUM2", "per hour  0.32 CNY", "...", "backend  tencent-local",
             "[exit 3]"]
    assert doc_commands.distinctive_lines(shown) == ["Quote for 2 x S5.MEDIUM2",
                                                      "backend  tencent-local"]
    printed = "provisionctl: Quote for 3 x S5.MEDIUM2\nper hour 9 CNY\nbackend tencent-local\n"
    assert doc_commands.unmatched_output(shown, printed) == []
    assert doc_commands.unmatched_output(shown, printed.replace("tencent-local", "fake")) == \
        ["backend  tencent-local"]
    assert doc_commands.unmatched_output(shown, "Quote for 2 x S5.LARGE8\n") == shown[1:5:3]
    assert doc_commands.unmatched_output(shown, "Quote for 3 x S5.MEDIUM2\n", True) == []
    spot = doc_commands.Command("p.md", 1, "python3 tests/python/client_example.py --count 1 "
                                "--spot-max-price 0.01", [], 1)
    assert doc_commands.first_line_only(spot) and not doc_commands.first_line_only(
        spot._replace(text="provisionctl quote"))


def check_headings_skip_fences():
    page = "# Title\n\n```sh\n# install deps\nls\n```\n\n## Two words\n   ```\n   # x\n   ```\n"
    assert doc_commands.anchors(page) == {"title", "two-words"}, doc_commands.anchors(page)


BUILD = """load(":macros.bzl", "pair")
load("@other//:rules.bzl", "other_rule")

package(default_visibility = ["//visibility:private"])

cc_library(name = "lib", srcs = glob(["*.cc"]) + ["x.cc"], deps = select({"//c:x": []}))

[cc_test(
    name = name + "_test",
    deps = [":" + name],
) for name in ["alpha", "beta"]]

pair(name = "twin")
other_rule(name = "outside")
"""

MACROS = """def pair(name):
    native.genrule(name = name, outs = [native.package_name() + ".txt"])
    native.sh_test(name = name + "_test", srcs = ["t.sh"])
"""


def check_labels():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "pkg", "sub"))
        for path, text in (("pkg/BUILD.bazel", BUILD), ("pkg/macros.bzl", MACROS),
                           ("pkg/sub/BUILD.bazel", ""), ("pkg/data.txt", "")):
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        build = doc_labels.BuildFiles(root)
        assert build.targets("pkg") == {"lib", "alpha_test", "beta_test", "twin", "twin_test",
                                        "outside"}, build.targets("pkg")
        page = ("```sh\nbazel test //pkg:alpha_test //pkg:gamma_test \\\n    //pkg/... //pkg:all\n"
                "```\n\nSee `//pkg:data.txt`, `//nowhere:x`, `//pkg:<name>_test`, "
                "`//pkg/sub`, `//pkg:twin_test` and https://example.com//a:b.\n")
        found = doc_commands.commands("p.md", page)
        assert doc_commands.not_run_reason(found[0]), "bazel test lines are not run"
        bad = doc_labels.unknown_labels("p.md", page, found, build)
        assert bad == ["p.md:2: //pkg:gamma_test (pkg/BUILD.bazel declares no rule 'gamma_test')",
                       "p.md:6: //nowhere:x (no nowhere/BUILD.bazel)",
                       "p.md:6: //pkg/sub (pkg/sub/BUILD.bazel declares no rule 'sub')"], bad
        assert doc_labels.labels_in("//pkg:<name>_test @r//:x tencentcloud:///ap/ins-1") == []


def check_stale_entries():
    stale = doc_commands.unused_entries(doc_commands.commands("p.md", PAGE))
    kubectl = "^(kubectl|kustomize|docker|\\(cd deploy/kubernetes)"
    assert kubectl in [entry.pattern for entry in doc_commands.NOT_RUN]
    assert r"^bash tools/test\.sh" in stale and kubectl not in stale, stale


def main():
    cases = Cases("doc_commands")
    for name, check in sorted(globals().items()):
        if name.startswith("check_"):
            cases.run(name[len("check_"):], check)
    cases.finish()


if __name__ == "__main__":
    main()
