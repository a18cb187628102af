"""Protobuf / gRPC code generation with Debian's protoc and plugins.

Bazel 4.2.3 offline has no rules_proto, so each macro wraps one genrule that runs
/usr/bin/protoc. Proto import paths are relative to the package that calls the
macro (for example proto/ holds provisioning/v1/provisioning.proto, imported as
"provisioning/v1/provisioning.proto"), and so are the generated includes.
"""

_PROTOC = "/usr/bin/protoc"
_GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_GRPC_PY_PLUGIN = "/usr/bin/grpc_python_plugin"

def _root():
    repo = native.repository_name()
    parts = []
    if repo != "@":
        parts.append("external/" + repo[1:])
    if native.package_name():
        parts.append(native.package_name())
    return "/".join(parts) if parts else "."

def _includes(extra_roots):
    return " ".join(["-I" + _root()] + ["-I" + r for r in extra_roots] + ["-I/usr/include"])

def cc_proto(name, srcs, deps = [], grpc = False, extra_roots = [], visibility = None):
    """C++ messages (and gRPC stubs when grpc = True) for srcs, as cc_library `name`."""
    bases = [s[:-len(".proto")] for s in srcs]
    hdrs = [b + ".pb.h" for b in bases]
    ccs = [b + ".pb.cc" for b in bases]
    if grpc:
        hdrs += [b + ".grpc.pb.h" for b in bases]
        ccs += [b + ".grpc.pb.cc" for b in bases]
    out_dir = "$(GENDIR)/" + _root() if _root() != "." else "$(GENDIR)"
    cmd = _PROTOC + " " + _includes(extra_roots) + " --cpp_out=" + out_dir
    if grpc:
        cmd += " --plugin=protoc-gen-grpc=" + _GRPC_CPP_PLUGIN + " --grpc_out=" + out_dir
    cmd += " " + " ".join(["$(location %s)" % s for s in srcs])
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = hdrs + ccs,
        cmd = cmd,
    )
    native.filegroup(name = name + "_srcs", srcs = srcs, visibility = visibility)
    native.cc_library(
        name = name,
        srcs = ccs,
        hdrs = hdrs,
        includes = ["."],
        deps = deps + [
            "@system//:grpc" if grpc else "@system//:protobuf",
        ],
        visibility = visibility,
    )

def py_proto(name, srcs, deps = [], extra_roots = [], visibility = None):
    """Python messages and gRPC stubs (_pb2.py, _pb2_grpc.py) for srcs."""
    bases = [s[:-len(".proto")] for s in srcs]
    outs = [b + "_pb2.py" for b in bases] + [b + "_pb2_grpc.py" for b in bases]
    out_dir = "$(GENDIR)/" + _root() if _root() != "." else "$(GENDIR)"
    native.genrule(
        name = name,
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = outs,
        cmd = " ".join([
            _PROTOC,
            _includes(extra_roots),
            "--python_out=" + out_dir,
            "--plugin=protoc-gen-grpc_python=" + _GRPC_PY_PLUGIN,
            "--grpc_python_out=" + out_dir,
        ] + ["$(location %s)" % s for s in srcs]),
        visibility = visibility,
    )
