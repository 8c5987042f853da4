"""Exceptions the raw loader raises; the CLI turns them into a message and an exit code."""

from __future__ import annotations


class LoaderError(Exception):
    """Base class: something about the load needs a person to act."""


class ContractError(LoaderError):
    """An input file breaks the raw input contract as a whole (e.g. a required column is
    missing). Raised before anything is loaded; the message names the file, the problem
    and what to do."""


class ReconciliationError(LoaderError):
    """The counts of a table load do not add up (read != inserted + updated + unchanged +
    rejected). This is a loader bug, never a data problem: the table's load is rolled back."""
