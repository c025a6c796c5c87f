import sys
from pathlib import Path

POLICY_DIR = Path(__file__).resolve().parent.parent
PROJECT_ROOT = POLICY_DIR.parent
for path in (POLICY_DIR, PROJECT_ROOT):  # the pack's modules, and the stack's test harness
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
