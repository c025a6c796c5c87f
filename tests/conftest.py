import sys
from pathlib import Path

# The program's modules (components/) and the test helpers import from the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
