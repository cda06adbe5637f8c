"""Errors services raise that are not bad input: the request was fine, the state forbids it."""

from __future__ import annotations


class Conflict(Exception):
    """The action cannot happen in the current state (undo twice, undo too late, …): HTTP 409."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
