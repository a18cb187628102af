"""//tests/docs:doc_commands_test: what the doc test takes for a command."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "deploy", "tests"))
import doc_commands  # noqa: E402
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


def check_shrunk_and_python():
    command = doc_commands.Command(
        "p.md", 1, "bash fuzz/run_fuzzers.sh 3600 tencent_response_fuzzer", [], 0)
    text, entry = doc_commands.shrunk(command)
    assert text == "bash fuzz/run_fuzzers.sh 2 tencent_response_fuzzer" and entry, text
    assert doc_commands.python_script(PAGE) == 'print("python")\n'


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
