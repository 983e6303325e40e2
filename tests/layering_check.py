"""Fails when an include points up the layers: reactor/ may include only
reactor/; process/ only process/ and reactor/; http/ only http/ and
reactor/ (handlers -> http -> reactor, handlers -> process -> reactor)."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
allowed = {"reactor": {"reactor"}, "process": {"process", "reactor"},
           "http": {"http", "reactor"},
           "handlers": {"handlers", "http", "process", "reactor"}}
include = re.compile(r'#include\s+"(\w+)/')
problems = []
for layer, may_use in allowed.items():
    for source in sorted((root / layer).rglob("*.[ch]pp")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            match = include.match(line.strip())
            if match and match.group(1) in allowed and match.group(1) not in may_use:
                problems.append(f"{source.relative_to(root)}:{number}: {line.strip()}")
for problem in problems:
    print("include points up the layers:", problem)
print(f"layering: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
