"""Tag bookkeeping against a plain model: both directions always agree."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pepperpy.caching.core.errors import InvalidKeyError
from pepperpy.caching.core.loading import TagBook, check_tags

keys = st.sampled_from("abcdef")
tag_sets = st.frozensets(st.sampled_from(["t1", "t2", "t3", "t4"]), max_size=3)


def test_check_tags() -> None:
    assert check_tags(()) == frozenset()
    assert check_tags(["a", "b", "a"]) == {"a", "b"}
    with pytest.raises(InvalidKeyError, match="tags=\\(name,\\)"):
        check_tags("user:1")
    with pytest.raises(InvalidKeyError):
        check_tags([1])
    with pytest.raises(InvalidKeyError):
        check_tags(3)


class TagMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = TagBook()
        self.model: dict[str, frozenset[str]] = {}

    @rule(key=keys, tags=tag_sets)
    def write(self, key: str, tags: frozenset[str]) -> None:
        self.book.tag(key, tags)
        if tags:
            self.model[key] = tags
        else:
            self.model.pop(key, None)

    @rule(key=keys)
    def remove(self, key: str) -> None:
        self.book.forget(key)
        self.model.pop(key, None)

    @rule(tags=tag_sets)
    def invalidate(self, tags: frozenset[str]) -> None:
        chosen = self.book.select(tags)
        assert chosen == {k for k, t in self.model.items() if t & tags}
        for key in chosen:
            self.book.forget(key)
            del self.model[key]

    @rule()
    def clear(self) -> None:
        self.book.clear()
        self.model.clear()

    @invariant()
    def both_directions_agree(self) -> None:
        assert len(self.book) == len(self.model)
        for key in "abcdef":
            assert self.book.tags_of(key) == self.model.get(key, frozenset())
        names = {name for tags in self.model.values() for name in tags}
        assert self.book.tag_names() == names  # no empty tag left behind
        for name in names:
            assert self.book.keys_of(name) == {k for k, t in self.model.items() if name in t}


TestTagMachine = TagMachine.TestCase
