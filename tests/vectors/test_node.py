"""Re-derive every stage of the vectors with Node's ``crypto`` (vectors/tools/check_node.js).

The Node script has its own lexical minifier, so minify is checked by an implementation
that shares no code with the Python generator. A missing ``node`` is a failure, never a skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ._vectors import ALL_FILES, NODE_CHECKER, VECTORS_DIR, total_tests


def test_node_rederives_every_vector() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "`node` is not on PATH: the vector cross-check requires Node.js (>= 16); "
            "this test never skips"
        )
    proc = subprocess.run(
        [node, str(NODE_CHECKER), str(VECTORS_DIR)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.stdout, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["failures"] == []
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report["files"] == len(ALL_FILES)
    assert report["tests"] == total_tests()
    checks = report["checks"]
    # Every family of checks actually ran.
    for name, minimum in {
        "minify": 250,
        "minifyRejects": 15,
        "sha256": 300,
        "stringToSign": 250,
        "hmac": 100,
        "rsaSign": 150,
        "rsaVerify": 200,
        "mismatchAt": 90,
        "timestamp": 15,
        "timestampRejects": 10,
        "jsEncoder": 20,
    }.items():
        assert checks.get(name, 0) >= minimum, (name, checks.get(name))
