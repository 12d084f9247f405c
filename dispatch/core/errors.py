"""Errors that reach users as one line."""

from __future__ import annotations


class DispatchError(Exception):
    """Base class of the errors this package reports to users."""


class ScenarioError(DispatchError, ValueError):
    """A study's files are malformed or inconsistent.

    Parameters
    ----------
    file
        The file at fault, as the user named it.
    field
        Dotted path of the field at fault, or ``""`` for the file as a whole.
    problem
        What is wrong, in one sentence.
    """

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file, self.field, self.problem = str(file), field, problem
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: {problem}")


class InfeasibleError(DispatchError):
    """The study has no solution; the message names the conflicting constraints."""
