import sys
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
PROJECT_ROOT = EXAMPLE_DIR.parent.parent
for path in (EXAMPLE_DIR, PROJECT_ROOT):  # the example's modules, and the project's mock-engine harness
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
