"""Child process of the crash test: streams ``_bulk`` requests and logs what was acknowledged.

Usage: ``python crash_writer.py PATH SEED LOG``. Before each bulk it logs the batch it is
about to send (``intent``); after the engine answers it logs the items' results
(``ack``). Versions are external and grow by one per operation, so the expected state after
any prefix of batches is exact. It runs until it is killed.
"""

from __future__ import annotations

import json
import random
import sys

import mutuo

INDEX = "crash"
ID_SPACE = 150


def make_batch(rng: random.Random, next_version: int) -> list[dict[str, object]]:
    ops: list[dict[str, object]] = []
    for offset in range(rng.randint(1, 60)):
        version = next_version + offset
        doc_id = str(rng.randrange(ID_SPACE))
        if rng.random() < 0.2:
            ops.append({"op": "delete", "id": doc_id, "version": version})
        else:
            source = {"n": version, "text": "x" * rng.randint(0, 300), "tags": [doc_id, version]}
            ops.append({"op": "index", "id": doc_id, "version": version, "source": source})
    return ops


def bulk_body(ops: list[dict[str, object]]) -> str:
    lines = []
    for op in ops:
        meta = {"_index": INDEX, "_id": op["id"], "version": op["version"]}
        lines.append(json.dumps({op["op"]: {**meta, "version_type": "external"}}))
        if op["op"] == "index":
            lines.append(json.dumps(op["source"]))
    return "\n".join(lines) + "\n"


def main(path: str, seed: int, log_path: str) -> None:
    rng = random.Random(seed)
    client = mutuo.connect(f"embedded://{path}")
    next_version = 1
    with open(log_path, "a", buffering=1, encoding="utf-8") as log:
        for batch in range(10**9):
            ops = make_batch(rng, next_version)
            next_version += len(ops)
            log.write(json.dumps({"intent": batch, "ops": ops}) + "\n")
            response = client.bulk(body=bulk_body(ops))
            results = [next(iter(item.values())) for item in response["items"]]
            acked = [
                {"id": r["_id"], "status": r["status"], "version": r.get("_version")}
                for r in results
            ]
            log.write(json.dumps({"ack": batch, "items": acked}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
