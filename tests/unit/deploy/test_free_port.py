"""free_port never hands out one port twice, though the kernel may offer it again (the
ports are bound only later: two listeners of one broker once got the same port)."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest

from polku.stack import processes


class _Offered:
    """A socket whose bind to port 0 gets the next of `ports`, as the kernel chose them."""

    ports: Iterator[int]

    def __enter__(self) -> _Offered:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def bind(self, _: Any) -> None:
        self.port = next(self.ports)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_a_port_offered_again_is_not_handed_out_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    _Offered.ports = iter([41939, 59323, 41939, 41940])
    monkeypatch.setattr("polku.stack.processes.socket.socket", _Offered)
    monkeypatch.setattr(processes, "_given", set())
    assert [processes.free_port() for _ in range(3)] == [41939, 59323, 41940]
