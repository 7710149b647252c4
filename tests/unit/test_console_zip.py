"""The console's in-browser ZIP writer (``console_ui/zip.js``), run under Node (the same
CompressionStream, Blob and Response a browser has): what it writes for a chosen folder must be an
archive any unzip reads back byte for byte, CRCs checked, names in UTF-8, and kept stored when
DEFLATE would not make it smaller."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ZIP_JS = Path(__file__).resolve().parents[2] / "chalicelib" / "api" / "console_ui" / "zip.js"

HARNESS = """
globalThis.window = globalThis;
globalThis.IGNY8 = {};
eval(require("fs").readFileSync(process.argv[1], "utf8"));
const files = JSON.parse(process.argv[2]).map((f) => ({
  name: f.name, data: Uint8Array.from(Buffer.from(f.data, "base64")), modified: new Date(2026, 10, 29, 12, 30, 10),
}));
IGNY8.zip.build(files).then(async (blob) => {
  process.stdout.write(Buffer.from(await blob.arrayBuffer()).toString("base64"));
});
"""


def build(files: dict[str, bytes]) -> zipfile.ZipFile:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("Node is needed to test the console's ZIP writer in CI")
        pytest.skip("Node is not installed; the console's ZIP writer is not tested")
    given = [{"name": name, "data": base64.b64encode(data).decode()} for name, data in files.items()]
    result = subprocess.run(
        [node, "-e", HARNESS, str(ZIP_JS), json.dumps(given)], capture_output=True, check=True, timeout=60
    )
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(result.stdout)))


def test_a_folder_zipped_in_the_page_unzips_to_the_same_files() -> None:
    files = {
        "my-plugin/my-plugin.php": b"<?php\n/*\nPlugin Name: Mine\nVersion: 1.2.0\n*/\n" + b"echo 1;\n" * 500,
        "my-plugin/readme.txt": "=== Mine ===\nCafé, naïve, 日本語\n".encode(),
        "my-plugin/assets/empty.css": b"",
        "my-plugin/lang/é-ß.po": b"msgid x\n",
        "my-plugin/bin/random.dat": os.urandom(4096),
    }
    archive = build(files)
    assert archive.testzip() is None  # every CRC-32 matches
    assert archive.namelist() == list(files)
    for name, data in files.items():
        assert archive.read(name) == data
    info = {i.filename: i for i in archive.infolist()}
    assert info["my-plugin/my-plugin.php"].compress_type == zipfile.ZIP_DEFLATED
    assert info["my-plugin/my-plugin.php"].compress_size < len(files["my-plugin/my-plugin.php"]) / 5
    assert info["my-plugin/bin/random.dat"].compress_type == zipfile.ZIP_STORED  # DEFLATE would grow it
    assert all(i.flag_bits & 0x800 for i in archive.infolist())  # UTF-8 names
    assert info["my-plugin/readme.txt"].date_time == (2026, 11, 29, 12, 30, 10)


def test_an_empty_folder_is_an_empty_archive() -> None:
    archive = build({})
    assert archive.namelist() == [] and archive.testzip() is None
