# Runs every static gate on the tree; fails when any reports a problem: python -m tests.gates.run
# SPDX-License-Identifier: MIT
import sys

from tests.gates.checks import GATES, device_files


def main() -> int:
    failed = 0
    print(f"static gates on {len(device_files())} device files")
    for name, check in GATES.items():
        problems = check()
        print(f"  {name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"    {problem}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
