"""Posting lists grow with spare capacity, yet every array handed out stays as it was."""

from __future__ import annotations

import pickle

import numpy as np

from mutuo.engine.postings import PostingLists, append_grouped


def test_an_array_read_before_an_append_keeps_its_entries() -> None:
    lists = PostingLists(np.int32)
    lists.cover(2)
    lists.append(0, np.array([1, 2], dtype=np.int32))
    before = lists.arrays[0]
    for start in range(3, 40, 3):  # past several reallocations
        lists.append(0, np.arange(start, start + 3, dtype=np.int32))
        assert before.tolist() == [1, 2]
    assert lists.arrays[0].tolist() == [1, 2, *range(3, 42)]
    assert lists.arrays[1].tolist() == []


def test_grouped_appends_split_runs_by_term_and_bounds() -> None:
    lists = PostingLists(np.int32)
    lists.cover(3)
    terms = np.array([0, 0, 2], dtype=np.int64)
    append_grouped(lists, terms, np.array([10, 11, 12], dtype=np.int32))
    positions = np.array([5, 6, 7, 8], dtype=np.int32)  # freqs 1, 2, 1
    append_grouped(lists, terms, positions, np.array([0, 1, 3, 4]))
    assert [a.tolist() for a in lists.arrays] == [[10, 11, 5, 6, 7], [], [12, 8]]


def test_pickling_keeps_entries_but_not_spare_capacity() -> None:
    lists = PostingLists(np.int32)
    lists.cover(1)
    lists.append(0, np.arange(100, dtype=np.int32))
    data = pickle.dumps(lists, protocol=5)
    assert len(data) < 800  # the buffer behind the entries holds 200 (800 bytes)
    restored = pickle.loads(data)
    assert restored.arrays[0].tolist() == list(range(100))
    restored.append(0, np.array([7], dtype=np.int32))
    assert restored.arrays[0].tolist() == [*range(100), 7]


def test_a_compaction_renumbers_every_list_and_drops_dead_ordinals() -> None:
    from mutuo.engine.postings import remap_lists

    remap = np.array([0, -1, 1, -1, 2], dtype=np.int64)  # ordinals 1 and 3 are dropped
    arrays = [np.array(a, dtype=np.int32) for a in ([0, 1, 4], [], [1, 3], [2, 3, 4])]
    renamed, kept, lengths = remap_lists(arrays, remap)
    assert [a.tolist() for a in renamed] == [[0, 2], [], [], [1, 2]]
    assert kept.tolist() == [True, False, True, False, False, True, False, True]
    assert lengths.tolist() == [3, 0, 2, 3]
