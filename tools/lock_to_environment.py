"""Write environment.yml (for conda users) with exactly the pins of requirements.lock.

Usage: python tools/lock_to_environment.py requirements.lock > environment.yml
tests/test_environment.py fails when the two drift apart.
"""

import re
import sys

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)")


def lock_pins(text: str) -> dict[str, str]:
    """``{normalised name: version}`` of every ``name==version`` line of a pip lock file."""
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def environment_yaml(pins: dict[str, str]) -> str:
    lines = [
        "# Generated from requirements.lock by tools/lock_to_environment.py (make lock).",
        "name: relusv",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in sorted(pins.items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1]) as lock:
        sys.stdout.write(environment_yaml(lock_pins(lock.read())))
