#!/usr/bin/env python3
"""Writes an OCI image archive (an oci-archive: the OCI image layout in a tar) from a root
file system directory, byte for byte the same for the same input: one layer, files owned by
root, every time stamp SOURCE_DATE_EPOCH. No daemon, no registry, no storage driver.

Usage: oci_image.py ROOTFS OUT.oci.tar --name NAME --version VERSION --epoch SECONDS
           --entrypoint JSON --cmd JSON [--label KEY=VALUE ...]
"""
import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import tarfile


def layer_tar(rootfs: str, epoch: int) -> bytes:
    """The root file system as a tar, sorted, owned by 0:0, mtime = epoch."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        paths = []
        for directory, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs + files):
                paths.append(os.path.join(directory, name))
        for path in sorted(paths, key=lambda p: os.path.relpath(p, rootfs)):
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, rootfs))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = epoch
            if info.isfile():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buffer.getvalue()


def blob(blobs: dict, data: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"digest": digest, "size": len(data)}


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rootfs")
    parser.add_argument("out")
    parser.add_argument("--name", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--epoch", type=int, required=True)
    parser.add_argument("--entrypoint", required=True)
    parser.add_argument("--cmd", required=True)
    parser.add_argument("--label", action="append", default=[])
    args = parser.parse_args()

    created = datetime.datetime.fromtimestamp(args.epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = dict(item.split("=", 1) for item in args.label)
    blobs: dict = {}

    uncompressed = layer_tar(args.rootfs, args.epoch)
    compressed = gzip.compress(uncompressed, compresslevel=9, mtime=0)
    layer = blob(blobs, compressed)
    config = blob(blobs, canonical({
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": json.loads(args.entrypoint),
            "Cmd": json.loads(args.cmd),
            "Env": ["PATH=/usr/bin"],
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(uncompressed).hexdigest()]},
        "history": [{"created": created, "created_by": "packaging/build.sh"}],
    }))
    manifest = blob(blobs, canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        "annotations": labels,
    }))
    index = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            **manifest,
            "annotations": {"org.opencontainers.image.ref.name": f"{args.name}:{args.version}"},
        }],
    })

    entries = {"oci-layout": canonical({"imageLayoutVersion": "1.0.0"}), "index.json": index}
    for digest, data in blobs.items():
        entries["blobs/sha256/" + digest.split(":", 1)[1]] = data
    with tarfile.open(args.out + ".tmp", mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, args.epoch
            tar.addfile(info)
        for name in sorted(entries):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(entries[name]), 0o644, args.epoch
            tar.addfile(info, io.BytesIO(entries[name]))
    os.replace(args.out + ".tmp", args.out)
    print(manifest["digest"])


if __name__ == "__main__":
    main()
