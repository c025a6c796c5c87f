import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
EXAMPLE_DIR = TESTS_DIR.parent
# The example's modules (settings, workload) and its mock-engine harness; nothing from outside the example.
for path in (EXAMPLE_DIR, TESTS_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
