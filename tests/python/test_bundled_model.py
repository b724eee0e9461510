#!/usr/bin/python3
"""The committed files made from the committed checkpoint are what the tools
make of it: samples/fashion-mnist.fsvae is byte for byte the exporter's output
for models/fashion-mnist-fsvae.pth, the checkpoint's sha256 is the one
models/README.md states, and the golden vectors name that same hash.
scripts/adopt_checkpoint.sh keeps all of them in step.

    /usr/bin/python3 tests/python/test_bundled_model.py
"""

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CHECKPOINT = REPO / "models" / "fashion-mnist-fsvae.pth"
README = REPO / "models" / "README.md"
SAMPLE = REPO / "samples" / "fashion-mnist.fsvae"
GOLDEN = [REPO / "tests" / "golden" / n for n in ("generate.json", "reconstruct.json")]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def readme_sha256() -> str:
    """The hash on the line `sha256: `...`` under the checkpoint's heading."""
    text = README.read_text()
    section = text.split(f"## {CHECKPOINT.name}", 1)
    if len(section) != 2:
        raise AssertionError(f"{README}: no section '## {CHECKPOINT.name}'")
    m = re.search(r"^sha256: `([0-9a-f]{64})`$", section[1], re.M)
    if not m:
        raise AssertionError(f"{README}: no 'sha256: `<64 hex digits>`' line under {CHECKPOINT.name}")
    return m.group(1)


class BundledModel(unittest.TestCase):
    def test_checkpoint_hash_is_the_documented_one(self):
        self.assertEqual(sha256(CHECKPOINT), readme_sha256())

    def test_golden_vectors_come_from_the_checkpoint(self):
        want = sha256(CHECKPOINT)
        for path in GOLDEN:
            header = json.loads(path.read_text())
            self.assertEqual(header["checkpoint"], CHECKPOINT.name, path.name)
            self.assertEqual(header["checkpoint_sha256"], want, path.name)

    def test_sample_is_the_export_of_the_checkpoint(self):
        # Exported from a copy in another directory: the file records the
        # checkpoint's name, never where it lay, so any checkout makes the same bytes.
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "elsewhere" / CHECKPOINT.name
            copy.parent.mkdir()
            copy.write_bytes(CHECKPOINT.read_bytes())
            out = Path(tmp) / SAMPLE.name
            res = subprocess.run([sys.executable, str(REPO / "tools" / "fsvae_export.py"), str(copy),
                                  str(out), "--dataset", "fashion-mnist"],
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(res.returncode, 0, res.stderr)
            made, committed = out.read_bytes(), SAMPLE.read_bytes()
        self.assertEqual(len(made), len(committed))
        first = next((i for i, (a, b) in enumerate(zip(made, committed)) if a != b), None)
        self.assertIsNone(first, f"{SAMPLE.name} differs from the export at byte {first}")

if __name__ == "__main__":
    unittest.main()
