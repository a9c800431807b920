"""The reference minifier: a pure-Python JSON scanner that validates and strips in one walk.

`bisnap.minify` runs msgspec's C minifier first; this scanner is the specification it is
tested against (a differential property test), the fallback for the few valid bodies msgspec
refuses (lone-surrogate escapes such as `"\\ud800"`, nesting deeper than the C recursion
limit allows), and the source of every error's reason and byte offset: `json`-style parsers
report where the value they could not read *started*, while a user fixing a body wants the
first byte that is wrong (the end of input for a string never closed, the `x` of `\\x`, the
byte after a truncated `tr`).

It is iterative (an explicit stack, never Python recursion), so no body raises
`RecursionError`; nesting deeper than `MAX_DEPTH` containers is refused.
"""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "JSONScanError", "first_bad_offset", "reference_minify_text"]

#: The deepest nesting of objects and arrays a body may have.
MAX_DEPTH = 1000

_WS = frozenset(" \t\r\n")
_DIGITS = frozenset("0123456789")
_ESCAPES = frozenset('"\\/bfnrtu')
_HEX = frozenset("0123456789abcdefABCDEF")
_LITERALS = {"t": "true", "f": "false", "n": "null"}


class JSONScanError(Exception):
    """Why and where (character index) the text stopped being JSON."""

    def __init__(self, reason: str, pos: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pos = pos


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.out: list[str] = []

    def ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n and s[i] in _WS:
            i += 1
        return i

    def expect_more(self, i: int, what: str) -> None:
        if i >= self.n:
            raise JSONScanError(f"input ends where {what} was expected", i)

    def unexpected(self, i: int, where: str) -> JSONScanError:
        return JSONScanError(f"unexpected character {self.s[i]!r} where {where} was expected", i)

    def run(self) -> str:
        s = self.s
        out = self.out
        stack: list[str] = []
        i = 0
        while True:
            # A value starts here (top level, after ',' in an array, after ':' in an object).
            i = self.ws(i)
            self.expect_more(i, "a value")
            c = s[i]
            if c == "{" or c == "[":
                if len(stack) >= MAX_DEPTH:
                    raise JSONScanError("nested too deeply", i)
                close = "}" if c == "{" else "]"
                out.append(c)
                i = self.ws(i + 1)
                self.expect_more(i, "a key or '}'" if c == "{" else "a value or ']'")
                if s[i] != close:
                    stack.append(c)
                    if c == "{":
                        i = self.key(i)
                    continue
                out.append(close)
                i += 1
            elif c == '"':
                i = self.string(i)
            elif c == "-" or c in _DIGITS:
                i = self.number(i)
            elif c in _LITERALS:
                i = self.literal(i, _LITERALS[c])
            else:
                raise self.unexpected(i, "a value")
            # A value ended at i: close containers until one asks for the next value.
            while True:
                if not stack:
                    end = self.ws(i)
                    if end != self.n:
                        raise JSONScanError("data after the JSON value", end)
                    return "".join(out)
                i = self.ws(i)
                if stack[-1] == "{":
                    self.expect_more(i, "',' or '}'")
                    if s[i] == "}":
                        out.append("}")
                        stack.pop()
                        i += 1
                        continue
                    if s[i] != ",":
                        raise self.unexpected(i, "',' or '}'")
                    out.append(",")
                    i = self.key(i + 1)
                    break
                self.expect_more(i, "',' or ']'")
                if s[i] == "]":
                    out.append("]")
                    stack.pop()
                    i += 1
                    continue
                if s[i] != ",":
                    raise self.unexpected(i, "',' or ']'")
                out.append(",")
                i += 1
                break

    def key(self, i: int) -> int:
        i = self.ws(i)
        self.expect_more(i, "a key")
        if self.s[i] != '"':
            raise self.unexpected(i, "a key")
        i = self.ws(self.string(i))
        self.expect_more(i, "':'")
        if self.s[i] != ":":
            raise self.unexpected(i, "':'")
        self.out.append(":")
        return i + 1

    def string(self, start: int) -> int:
        s, n = self.s, self.n
        i = start + 1
        while True:
            if i >= n:
                raise JSONScanError("string never closed", i)
            c = s[i]
            if c == '"':
                self.out.append(s[start : i + 1])
                return i + 1
            if c == "\\":
                i += 1
                if i >= n:
                    raise JSONScanError("string never closed", i)
                if s[i] not in _ESCAPES:
                    raise JSONScanError(f"invalid escape '\\{s[i]}'", i)
                if s[i] == "u":
                    for k in range(1, 5):
                        if i + k >= n:
                            raise JSONScanError("string never closed", i + k)
                        if s[i + k] not in _HEX:
                            raise JSONScanError("invalid \\u escape", i + k)
                    i += 4
            elif c < " ":
                raise JSONScanError("unescaped control character in a string", i)
            i += 1

    def number(self, start: int) -> int:
        s, n = self.s, self.n
        i = start
        if s[i] == "-":
            i += 1
        if i >= n or s[i] not in _DIGITS:
            raise JSONScanError("a digit was expected in a number", i)
        if s[i] == "0":
            i += 1
        else:
            while i < n and s[i] in _DIGITS:
                i += 1
        if i < n and s[i] == ".":
            i += 1
            if i >= n or s[i] not in _DIGITS:
                raise JSONScanError("a digit was expected after '.'", i)
            while i < n and s[i] in _DIGITS:
                i += 1
        if i < n and s[i] in "eE":
            i += 1
            if i < n and s[i] in "+-":
                i += 1
            if i >= n or s[i] not in _DIGITS:
                raise JSONScanError("a digit was expected in the exponent", i)
            while i < n and s[i] in _DIGITS:
                i += 1
        self.out.append(s[start:i])
        return i

    def literal(self, i: int, word: str) -> int:
        for k, ch in enumerate(word):
            if i + k >= self.n:
                raise JSONScanError(f"input ends inside '{word}'", i + k)
            if self.s[i + k] != ch:
                raise JSONScanError(f"unexpected character in '{word}'", i + k)
        self.out.append(word)
        return i + len(word)


def reference_minify_text(text: str) -> str:
    """Validate `text` as JSON and return it without whitespace outside strings.

    Raises:
        JSONScanError: the text is not JSON; `.reason` and `.pos` (a character index).
    """
    return _Scanner(text).run()


def first_bad_offset(text: str) -> tuple[str, int] | None:
    """The reason and character index of the first bad character, or None if `text` is JSON."""
    try:
        reference_minify_text(text)
    except JSONScanError as bad:
        return bad.reason, bad.pos
    return None
