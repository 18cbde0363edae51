"""The image's HEALTHCHECK: GET a URL (argument, or the one the entry point wrote); 0 if 2xx.

Roles that serve nothing (migrate, topics) write no URL and are reported healthy.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def main(argv: list[str]) -> int:
    """Exit code for Docker: 0 healthy, 1 not."""
    if len(argv) > 1:
        url = argv[1]
    else:
        written = Path(os.environ.get("BEACON_HEALTH_FILE", "/tmp/beacon-health-url"))  # noqa: S108
        if not written.exists():
            return 0
        url = written.read_text().strip()
    if not url.startswith("http://"):
        return 1
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310
            return 0 if 200 <= response.status < 300 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
