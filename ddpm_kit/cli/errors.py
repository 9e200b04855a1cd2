"""The error a command raises for bad user input (imported by every command; ``entry`` maps it to an exit code)."""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user gave (exit code 1); the message is one paragraph."""

    exit_code = 1
