"""Prints the YAML documents of each file as JSON: {"path": [doc, ...], ...}."""
import json
import sys

import yaml

out = {}
for path in sys.argv[1:]:
    with open(path) as f:
        out[path] = [d for d in yaml.safe_load_all(f) if d is not None]
json.dump(out, sys.stdout)
