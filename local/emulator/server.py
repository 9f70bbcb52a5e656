"""moto_server with the project's emulator extension loaded.

Usage: python3 local/emulator/server.py -H 127.0.0.1 -p 5000
Each module in local/emulator/patches closes one gap between moto and what the blueprint needs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import patches  # noqa: E402  (applies every patch on import)

import threading  # noqa: E402

from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: E402
from moto.server import main  # noqa: E402


def serialize_requests():
    """moto's backends are not thread-safe, but its server answers requests on threads: under load, concurrent
    CloudFormation calls raised `OrderedDict mutated during iteration` and mixed up stacks. AWS serves concurrent
    calls correctly, so the emulator answers one request at a time (moto computes each response eagerly)."""
    lock = threading.Lock()
    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        with lock:
            return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


if __name__ == "__main__":
    patches.apply_all()
    serialize_requests()
    sys.exit(main())
