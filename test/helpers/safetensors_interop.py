# An independent safetensors reader/writer, written from the format spec
# (https://github.com/huggingface/safetensors: an 8-byte little-endian header length N, N bytes of JSON
# {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, which may be padded
# with trailing spaces, then the byte buffer), with nothing but the Python standard library. It stands in
# for Hugging Face's `safetensors` package (Debian does not package it; pip is not used here) in
# test/tensor/safetensors-interop.test.ts, which checks the round trip with tessera in both directions.
#
#   python3 safetensors_interop.py dump IN
#       prints JSON: the metadata, the tensor names in file order, every tensor's dtype, shape and values,
#       and the CRC32 (zlib) of the tensors' bytes in name order, computed here independently.
#   python3 safetensors_interop.py rewrite IN OUT [--pad N] [--crc keep|none|file-order]
#       re-saves IN as OUT the way another tool might: tensors stored in REVERSED file order, the metadata
#       first, the JSON spaced differently and padded with N extra spaces (default 13). --crc none drops
#       tessera's checksums from the metadata; --crc file-order replaces them by the older tessera_crc32
#       (CRC32 of the data section in file order).
import json
import struct
import sys
import zlib

FORMATS = {"F32": ("f", 4), "I32": ("i", 4), "U8": ("B", 1)}
CRC_KEY = "tessera_tensors_crc32"
FILE_ORDER_CRC_KEY = "tessera_crc32"


def read(path):
    buf = open(path, "rb").read()
    if len(buf) < 8:
        raise SystemExit(f"{path}: only {len(buf)} bytes")
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise SystemExit(f"{path}: header length {n} exceeds the file")
    header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = buf[8 + n :]
    tensors = {}
    for name, e in header.items():
        code, size = FORMATS[e["dtype"]]
        begin, end = e["data_offsets"]
        count = 1
        for d in e["shape"]:
            count *= d
        if end - begin != count * size or end > len(body):
            raise SystemExit(f"{path}: {name}: bad data_offsets {begin}..{end}")
        raw = body[begin:end]
        tensors[name] = {"dtype": e["dtype"], "shape": e["shape"], "raw": raw, "begin": begin}
    covered = sorted((t["begin"], t["begin"] + len(t["raw"])) for t in tensors.values())
    at = 0
    for begin, end in covered:
        if begin != at:
            raise SystemExit(f"{path}: gap or overlap at byte {begin}")
        at = end
    if at != len(body):
        raise SystemExit(f"{path}: tensors cover {at} of {len(body)} data bytes")
    order = sorted(tensors, key=lambda k: tensors[k]["begin"])
    return order, tensors, metadata, body


def values(t):
    code, size = FORMATS[t["dtype"]]
    return list(struct.unpack(f"<{len(t['raw']) // size}{code}", t["raw"]))


def crc_by_name(tensors):
    crc = 0
    for name in sorted(tensors):
        crc = zlib.crc32(tensors[name]["raw"], crc)
    return crc


def dump(path):
    order, tensors, metadata, _ = read(path)
    out = {
        "metadata": metadata,
        "order": order,
        "crc_by_name": crc_by_name(tensors),
        "tensors": {k: {"dtype": t["dtype"], "shape": t["shape"], "values": values(t)} for k, t in tensors.items()},
    }
    print(json.dumps(out))


def rewrite(src, dst, pad, crc):
    order, tensors, metadata, _ = read(src)
    metadata = dict(metadata)
    if crc in ("none", "file-order"):
        metadata.pop(CRC_KEY, None)
        metadata.pop(FILE_ORDER_CRC_KEY, None)
    header = {"__metadata__": metadata}
    blobs = []
    off = 0
    for name in reversed(order):
        t = tensors[name]
        header[name] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": [off, off + len(t["raw"])]}
        blobs.append(t["raw"])
        off += len(t["raw"])
    body = b"".join(blobs)
    if crc == "file-order":
        metadata[FILE_ORDER_CRC_KEY] = str(zlib.crc32(body))
    text = json.dumps(header, separators=(", ", ": ")).encode("utf-8")
    text += b" " * pad
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(body)


def main(argv):
    if len(argv) >= 2 and argv[0] == "dump":
        dump(argv[1])
    elif len(argv) >= 3 and argv[0] == "rewrite":
        opts = dict(zip(argv[3::2], argv[4::2]))
        rewrite(argv[1], argv[2], int(opts.get("--pad", "13")), opts.get("--crc", "keep"))
    else:
        raise SystemExit(__doc__ or "usage: safetensors_interop.py dump IN | rewrite IN OUT [--pad N] [--crc K]")


if __name__ == "__main__":
    main(sys.argv[1:])
