"""Parses Terraform files with python-hcl2 and prints {file: parsed} as JSON (for test/deploy).

Usage: python hcl2json.py FILE.tf [FILE.tf ...]. Exits 1 naming the first file that does not parse.
"""
import json
import sys

import hcl2


def main() -> int:
    parsed = {}
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as handle:
                parsed[path] = hcl2.load(handle)
        except Exception as error:  # noqa: BLE001 - any parse failure is reported with the file name
            print(f"{path}: does not parse as HCL: {error}", file=sys.stderr)
            return 1
    json.dump(parsed, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
