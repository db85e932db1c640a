"""`t(key, **values)`: a sentence from the wording catalogue (content/wording/), filled in.

Every user-facing sentence comes from here, so the wording can be reviewed, and later
translated, in one place. A missing key or placeholder is a programming error, caught by
tests/test_wording.py before it reaches a user.
"""

from __future__ import annotations

from typing import Any

from content.wording import catalogue


def t(key: str, **values: Any) -> str:
    return catalogue()[key].format(**values)
