"""moto_server with the project's emulator extension loaded.

Usage: python3 local/emulator/server.py -H 127.0.0.1 -p 5000
Each module in local/emulator/patches closes one gap between moto and what the blueprint needs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import patches  # noqa: E402  (applies every patch on import)

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    patches.apply_all()
    sys.exit(main())
