"""The one exception type the command line turns into a clean one-line message.

Anything that a user can fix (a config key, a file, a layer name, a missing download) raises ``AtlasError``
with a message that names the culprit and says what to do; anything else is a bug and keeps its traceback.
"""


class AtlasError(Exception):
    """A problem the user can fix; ``str(error)`` is the whole message shown to them."""
