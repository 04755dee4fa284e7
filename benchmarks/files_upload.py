"""1 GB upload: tus (the whole file in one streamed PATCH, as tus-js-client and Uppy send it by
default, and tuspy in 5 MiB and 50 MiB chunks) against Django's standard multipart upload, to
the same server process, on a local disk and on S3 (moto on loopback). Reports throughput, the
server's idle and peak RSS (VmHWM), a fresh server process per contender and round. The server
runs ``benchmarks.files_bench_settings``: the apps a project serving uploads installs.

    python benchmarks/files_upload.py [--size-mb 1024] [--rounds 3] [--disks local,s3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

MiB = 1024 * 1024
CONTENDERS = ("tus one PATCH", "tus 5 MiB chunks", "tus 50 MiB chunks", "django multipart")


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        block = b"%PDF-1.4\n" + os.urandom(MiB - 9)
        written = 0
        while written < size:
            data = block[: size - written]
            out.write(data)
            digest.update(data)
            written += len(data)
            block = os.urandom(MiB)
    return digest.hexdigest()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MultipartStream:
    """A ``multipart/form-data`` body read from disk with a known length (requests then sends
    Content-Length, not chunked), so the client never holds the file in memory."""

    def __init__(self, path: Path, boundary: str) -> None:
        self.parts: list[bytes | Path] = [
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{path.name}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode(),
            path,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        self.length = sum(len(p) if isinstance(p, bytes) else p.stat().st_size for p in self.parts)
        self._fh: Any = None

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        while self.parts:
            part = self.parts[0]
            if isinstance(part, bytes):
                self.parts.pop(0)
                return part
            if self._fh is None:
                self._fh = part.open("rb")
            chunk = self._fh.read(size if size and size > 0 else MiB)
            if chunk:
                return chunk
            self._fh.close()
            self._fh = None
            self.parts.pop(0)
        return b""


def run_tus(url: str, token: str, path: Path, chunk: int) -> None:
    from tusclient.client import TusClient

    client = TusClient(f"{url}/files/tus/", headers={"Authorization": f"Bearer {token}"})
    client.uploader(str(path), chunk_size=chunk, metadata={"filename": path.name}).upload()


def run_tus_one_patch(url: str, token: str, path: Path) -> None:
    """What tus-js-client and Uppy do with their default ``chunkSize`` (Infinity): create the
    upload, then send the whole file in one streamed PATCH."""
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    size = path.stat().st_size
    created = requests.post(
        f"{url}/files/tus/", headers={**headers, "Upload-Length": str(size)}, timeout=60
    )
    created.raise_for_status()
    with path.open("rb") as body:
        done = requests.patch(
            created.headers["Location"],
            data=body,
            headers={
                **headers,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(size),
            },
            timeout=3600,
        )
    done.raise_for_status()


def run_multipart(url: str, token: str, path: Path, disk: str) -> None:
    boundary = uuid.uuid4().hex
    response = requests.post(
        f"{url}/plain/upload?disk={disk}",
        data=MultipartStream(path, boundary),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=3600,
    )
    response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--disks", default="local,s3", help="comma-separated: local, s3")
    parser.add_argument(
        "--workdir",
        default=None,
        help="where the file, the local disk and the temporary files go (e.g. /dev/shm to "
        "leave the machine's disk and its writeback out of the comparison)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tests.files.servers import moto_server
    from tests.support.servers import ServerProcess

    work = Path(tempfile.mkdtemp(prefix="forge-bench-files-", dir=args.workdir))
    db = work / "bench.sqlite3"
    connection.settings_dict["NAME"] = str(db)
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from tests.files.conftest import bearer_token

    user = get_user_model().objects.create_user("bench", password="x")
    token = bearer_token(user)
    source = work / "upload.pdf"
    make_file(source, args.size_mb * MiB)
    size_mb = args.size_mb * MiB / 1e6

    wanted = set(args.disks.split(","))
    moto = moto_server() if "s3" in wanted else None
    disks: dict[str, dict[str, object]] = {}
    if "local" in wanted:
        disks["local"] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(work / "disk")},
        }
    if moto is not None:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=moto.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket="bench")
        from tests.files.conftest import s3_storage_config

        disks["s3"] = s3_storage_config(moto.url, "bench")

    results: dict[str, dict[str, list[float]]] = {}
    try:
        for round_no in range(args.rounds):
            for disk in disks:
                for contender in CONTENDERS:
                    env = {
                        "DJANGO_SETTINGS_MODULE": "benchmarks.files_bench_settings",
                        "FORGE_FILES_DB_NAME": str(db),
                        "FORGE_FILES_STORAGES": json.dumps(disks),
                        "FORGE_FILES_SETTINGS": json.dumps(
                            {"DISK": disk, "TUS_MAX_SIZE": 8 * 1024 * MiB}
                        ),
                        "FORGE_FILES_URLCONF": "benchmarks.files_bench_urls",
                        "TMPDIR": str(work),
                    }
                    server = ServerProcess("", env, server="wsgi", name="bench")
                    idle = peak_rss_mb(server.pid)
                    try:
                        started = time.perf_counter()
                        if contender == "tus one PATCH":
                            run_tus_one_patch(server.url, token, source)
                        elif contender.startswith("tus"):
                            run_tus(server.url, token, source, int(contender.split()[1]) * MiB)
                        else:
                            run_multipart(server.url, token, source, disk)
                        seconds = time.perf_counter() - started
                        rss = peak_rss_mb(server.pid)
                    finally:
                        server.stop()
                    entry = results.setdefault(
                        f"{contender} -> {disk}", {"mbps": [], "rss": [], "idle": []}
                    )
                    entry["mbps"].append(size_mb / seconds)
                    entry["rss"].append(rss)
                    entry["idle"].append(idle)
                    print(
                        f"round {round_no + 1} {contender:>17} -> {disk:<5} "
                        f"{size_mb / seconds:7.1f} MB/s  peak RSS {rss:7.1f} MB (idle {idle:.1f})",
                        flush=True,
                    )
    finally:
        if moto is not None:
            moto.stop()
        shutil.rmtree(work, ignore_errors=True)
    load = subprocess.getoutput("uptime").strip()
    print(f"\n{args.size_mb} MiB, {args.rounds} rounds, load: {load}")
    print("| contender | median MB/s | median peak RSS (MB) | idle RSS (MB) |")
    print("| --- | ---: | ---: | ---: |")
    for name, entry in results.items():
        mbps, rss = statistics.median(entry["mbps"]), statistics.median(entry["rss"])
        print(f"| {name} | {mbps:.1f} | {rss:.0f} | {statistics.median(entry['idle']):.0f} |")
    for disk in disks:
        plain = results[f"django multipart -> {disk}"]["mbps"]
        for contender in CONTENDERS[:-1]:
            tus = results[f"{contender} -> {disk}"]["mbps"]
            per_round = statistics.median(t / p for t, p in zip(tus, plain, strict=True))
            of_medians = statistics.median(tus) / statistics.median(plain)
            print(
                f"{disk}: {contender} / multipart throughput, per-round median ratio "
                f"{per_round:.2f}, ratio of medians {of_medians:.2f}"
            )


if __name__ == "__main__":
    main()
