"""``mutuo.connect_async``: AsyncOpenSearch on the embedded engine."""

from __future__ import annotations

import asyncio

import pytest
from opensearchpy import ConflictError, NotFoundError

import mutuo


def test_async_client_indexes_reads_and_raises_like_the_sync_one(engine_path: str) -> None:
    async def scenario() -> None:
        client = mutuo.connect_async(f"embedded://{engine_path}")
        try:
            created = await client.index(index="people", id="1", body={"n": 1}, refresh=True)
            assert created["result"] == "created"
            assert (await client.get(index="people", id="1"))["_source"] == {"n": 1}
            assert (await client.count(index="people"))["count"] == 1
            assert await client.indices.exists(index="people") is True
            with pytest.raises(NotFoundError):
                await client.get(index="people", id="2")
            with pytest.raises(ConflictError):
                await client.create(index="people", id="1", body={"n": 2})
            results = await asyncio.gather(
                *(client.index(index="people", id=str(i), body={"n": i}) for i in range(10, 20))
            )
            assert sorted(r["_seq_no"] for r in results) == list(range(1, 11))
        finally:
            await client.close()

    asyncio.run(scenario())
    sync = mutuo.connect(f"embedded://{engine_path}")  # the async client released the path
    assert sync.get(index="people", id="15")["_source"] == {"n": 15}
    sync.close()
