"""One error hierarchy for the whole toolkit.

Library code raises these; only the CLI turns them into messages and exit codes
(0 success, 1 findings or bad data, 2 bad usage or bad spec). Every error names
where the problem is (file, and line, column or record where known) and, where
there is one, what the user can do about it.
"""

from __future__ import annotations

from os import PathLike


class ToolkitError(Exception):
    """Base of every error a user may see. ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        location: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        # "file.csv:12: ..." for a bare line number, "file.csv, line 2, column 5: ..." otherwise.
        where = ""
        if self.path and self.location:
            bare = self.location.replace(":", "").isdigit()
            where = f"{self.path}{':' if bare else ', '}{self.location}: "
        elif self.path or self.location:
            where = f"{self.path or self.location}: "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class UsageError(ToolkitError):
    """The command was called wrongly: unknown study, bad option value, unusable output folder."""

    exit_code = 2


class SpecError(ToolkitError):
    """A mapping spec or other configuration written by a person is wrong."""

    exit_code = 2


class InputError(ToolkitError):
    """Raw data or a package cannot be read as what it claims to be."""

    exit_code = 1


class ConformanceError(ToolkitError):
    """Output would break the standard and no waiver allows it."""

    exit_code = 1
