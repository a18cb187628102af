"""libFuzzer targets built with Debian's clang beside Bazel's gcc toolchain.

Bazel 4.2.3 offline has one C++ toolchain (gcc, auto-configured), and the
fuzzers need clang's -fsanitize=fuzzer. So each source becomes an object in
its own genrule that runs clang_fuzz.sh (cached and rebuilt like any action,
sandboxed, so every header it reads must be declared), and a fuzzer is one
more genrule that links the objects against the system libraries. protoc's
sources come from the same genrules the normal build uses.

  fuzz_objects(name, srcs, generated, hdrs)   objects, as filegroup `name`
  cc_fuzzer(name, src, objects, hdrs)         the fuzzer binary `name`
  fuzz_tests(name, src, objects, hdrs, deps, seconds)
      the fuzzer `name`, its CI run `name`_test (libFuzzer for `seconds` on
      corpus/<name>, with dicts/<name>.dict when there is one) and
      `name`_replay_test (the corpus through the same source built by gcc,
      against `deps`)
"""

_TOOL = "//fuzz:clang_fuzz.sh"

def _object_name(src):
    for ch in ["@", "//", "/", ":", ".", "-"]:
        src = src.replace(ch, "_")
    return "obj" + src if src.startswith("_") else "obj_" + src

def _object(src, kind, hdrs):
    name = _object_name(src)
    native.genrule(
        name = name,
        srcs = [src] + hdrs,
        outs = [name + ".o"],
        cmd = "$(location %s) compile %s $@ $(location %s) $(GENDIR)" % (_TOOL, kind, src),
        tools = [_TOOL],
    )
    return ":" + name

def fuzz_objects(name, srcs = [], generated = [], hdrs = []):
    """Our sources instrumented, protoc's generated sources with ASan only."""
    objects = [_object(s, "ours", hdrs) for s in srcs]
    objects += [_object(s, "generated", hdrs) for s in generated]
    native.filegroup(name = name, srcs = objects)

def cc_fuzzer(name, src, objects, hdrs = []):
    main = _object(src, "ours", hdrs)
    native.genrule(
        name = name,
        srcs = [main] + objects,
        outs = [name + ".bin"],
        cmd = "$(location %s) link $@ $(SRCS)" % _TOOL,
        tools = [_TOOL],
        executable = True,
    )

def fuzz_tests(name, src, objects, hdrs, deps, seconds):
    cc_fuzzer(name = name, src = src, objects = objects, hdrs = hdrs)
    corpus = native.glob(["corpus/%s/**" % name])
    dicts = native.glob(["dicts/%s.dict" % name])

    # A short libFuzzer run in CI; alone on the machine, so that it neither
    # slows nor is slowed by the timing-sensitive tests.
    native.sh_test(
        name = name + "_test",
        size = "small",
        timeout = "moderate",
        srcs = ["fuzz_test.sh"],
        args = ["$(location :%s)" % name, "fuzz/corpus/" + name, str(seconds)] +
               ["fuzz/" + d for d in dicts],
        data = [":" + name] + corpus + dicts,
        tags = ["exclusive"],
    )

    # Every corpus input (seeds and past crashes) through the gcc build.
    native.cc_test(
        name = name + "_replay_test",
        srcs = [src, "replay_main.cc"],
        args = ["fuzz/corpus/" + name],
        data = corpus,
        deps = deps + [":fuzz_check"],
    )
