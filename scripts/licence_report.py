#!/usr/bin/env python3
"""The licence report of a release, read from its CycloneDX SBOMs (one source: what the
SBOMs list is what the report covers), plus the assets compiled in that no SBOM lists, given
as `--asset "NAME=LICENCE"`. Prints Markdown: a count per licence, then every shipped
component with its version and licence. Exits 1 if a component has no licence."""

import json
import sys
from collections import Counter


def licences(component):
    found = []
    for entry in component.get("licenses", []):
        if "expression" in entry:
            found.append(entry["expression"])
        lic = entry.get("license", {})
        if "id" in lic:
            found.append(lic["id"])
        elif "name" in lic:
            found.append(lic["name"])
    return " AND ".join(found)


def main(args):
    rows = {}
    paths = []
    while args:
        arg = args.pop(0)
        if arg == "--asset":
            name, licence = args.pop(0).split("=", 1)
            rows[("asset", name, "")] = licence
        else:
            paths.append(arg)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            bom = json.load(f)
        ecosystem = "npm" if ".npm." in path else "Rust"
        for component in bom.get("components", []):
            name = component.get("name", "?")
            if component.get("group"):
                name = f"{component['group']}/{name}"
            key = (ecosystem, name, component.get("version", ""))
            rows[key] = licences(component)
    missing = [k for k, v in rows.items() if not v]
    print("# Licences of the shipped dependencies\n")
    print("Read from the CycloneDX SBOMs beside this file.\n")
    print("| Licence | Components |\n|---|---|")
    for licence, count in Counter(rows.values()).most_common():
        print(f"| {licence or '(none declared)'} | {count} |")
    print("\n| Ecosystem | Component | Version | Licence |\n|---|---|---|---|")
    for (ecosystem, name, version), licence in sorted(rows.items()):
        print(f"| {ecosystem} | {name} | {version} | {licence or '(none declared)'} |")
    if missing:
        names = ", ".join(f"{n} {v}" for _, n, v in missing)
        print(f"licence report: no licence declared by {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
