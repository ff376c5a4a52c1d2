"""Errors of the rules engine; every message is Chinese and names the file or key at fault."""

from __future__ import annotations


class RulesError(Exception):
    """Base class: ``message`` is what the user reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PackError(RulesError):
    """A policy pack (YAML) is malformed: unknown key, missing unit, overlapping periods …"""


class CaseError(RulesError):
    """A case file is not valid: bad JSON, wrong type, unknown key or value, negative amount …"""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"“{key}”：{problem}" if key else problem)
        self.key = key
        self.problem = problem


class ParameterError(RulesError):
    """An overlay names an unknown parameter or a unit that cannot be converted."""
