"""Text a user (or an attacker) can send: any unicode, the characters databases and browsers choke
on (NUL, lone surrogates, right-to-left overrides, byte-order and non-characters), huge strings."""

from hypothesis import strategies as st

AWKWARD = [
    "\x00",  # PostgreSQL text and jsonb cannot hold it
    "\ud800",  # lone surrogates: not encodable as UTF-8 (JSON's "\\ud800" decodes to one)
    "\udfff",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u2066",  # left-to-right isolate
    "\ufeff",  # byte-order mark
    "\ufffe",  # non-characters
    "\U0010ffff",
    "\u2028",  # line separator
    "\u0301",  # a combining accent
    "\U0001f6a8",  # an emoji (4 bytes in UTF-8)
    "ß",  # upper-cases to two letters
    "\r",
]
CHARACTERS = st.one_of(st.characters(exclude_categories=()), st.sampled_from(AWKWARD))


def text(*, max_size: int = 300) -> st.SearchStrategy[str]:
    """Any text, sometimes huge (a piece of up to 4 characters repeated up to 6,000 times)."""
    return st.one_of(
        st.text(CHARACTERS, max_size=max_size),
        st.builds(
            lambda piece, times: piece * times,
            st.text(CHARACTERS, min_size=1, max_size=4),
            st.integers(min_value=50, max_value=6_000),
        ),
    )
