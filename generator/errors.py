"""The exceptions the command line turns into a clean one-line message, and their exit codes.

Anything that a user can fix (a config key, a file, a layer name, a missing download) raises ``AtlasError``
with a message that names the culprit and says what to do; anything else is a bug and keeps its traceback.
The exit code tells scripts which: 2 when the request itself is wrong (``ConfigError``: a config key, a flag,
a layer or file it names), 1 when a correct request failed while building (a download, a damaged file, MkDocs).
"""


class AtlasError(Exception):
    """A problem the user can fix that stopped a build; ``str(error)`` is the whole message shown to them."""

    exit_code = 1


class ConfigError(AtlasError):
    """The config or the command line asks for something that cannot be: fix the request and run again."""

    exit_code = 2
