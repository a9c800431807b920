"""Find the first bad byte of text that `json.loads` refused (error path only).

`json.loads` reports where the value it could not read *started*; a user fixing a body
wants the first byte that is wrong: the end of input for a string never closed, the `x`
of `\\x`, the byte after a truncated `tr`. This small scanner walks the JSON grammar and
returns that position. It runs only after a failure, so it is written for clarity.
"""

from __future__ import annotations

__all__ = ["first_bad_offset"]

_WS = " \t\r\n"
_ESCAPES = '"\\/bfnrtu'
_HEX = "0123456789abcdefABCDEF"


class _BadJSONError(Exception):
    def __init__(self, reason: str, pos: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pos = pos


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)

    def ws(self, i: int) -> int:
        while i < self.n and self.s[i] in _WS:
            i += 1
        return i

    def expect_more(self, i: int, what: str) -> None:
        if i >= self.n:
            raise _BadJSONError(f"input ends where {what} was expected", i)

    def value(self, i: int, depth: int) -> int:
        if depth > 10_000:
            raise _BadJSONError("nested too deeply", i)
        i = self.ws(i)
        self.expect_more(i, "a value")
        c = self.s[i]
        if c == "{":
            return self.obj(i + 1, depth + 1)
        if c == "[":
            return self.arr(i + 1, depth + 1)
        if c == '"':
            return self.string(i + 1)
        if c == "-" or c.isdigit():
            return self.number(i)
        for word in ("true", "false", "null"):
            if c == word[0]:
                for k, ch in enumerate(word):
                    if i + k >= self.n:
                        raise _BadJSONError(f"input ends inside '{word}'", i + k)
                    if self.s[i + k] != ch:
                        raise _BadJSONError(f"unexpected character in '{word}'", i + k)
                return i + len(word)
        raise _BadJSONError(f"unexpected character {c!r} where a value was expected", i)

    def obj(self, i: int, depth: int) -> int:
        i = self.ws(i)
        self.expect_more(i, "a key or '}'")
        if self.s[i] == "}":
            return i + 1
        while True:
            i = self.ws(i)
            self.expect_more(i, "a key")
            if self.s[i] != '"':
                raise _BadJSONError(
                    f"unexpected character {self.s[i]!r} where a key was expected", i
                )
            i = self.ws(self.string(i + 1))
            self.expect_more(i, "':'")
            if self.s[i] != ":":
                raise _BadJSONError(f"unexpected character {self.s[i]!r} where ':' was expected", i)
            i = self.ws(self.value(i + 1, depth))
            self.expect_more(i, "',' or '}'")
            if self.s[i] == "}":
                return i + 1
            if self.s[i] != ",":
                raise _BadJSONError(
                    f"unexpected character {self.s[i]!r} where ',' or '}}' was expected", i
                )
            i += 1

    def arr(self, i: int, depth: int) -> int:
        i = self.ws(i)
        self.expect_more(i, "a value or ']'")
        if self.s[i] == "]":
            return i + 1
        while True:
            i = self.ws(self.value(i, depth))
            self.expect_more(i, "',' or ']'")
            if self.s[i] == "]":
                return i + 1
            if self.s[i] != ",":
                raise _BadJSONError(
                    f"unexpected character {self.s[i]!r} where ',' or ']' was expected", i
                )
            i += 1

    def string(self, i: int) -> int:
        while True:
            if i >= self.n:
                raise _BadJSONError("string never closed", i)
            c = self.s[i]
            if c == '"':
                return i + 1
            if c == "\\":
                i += 1
                if i >= self.n:
                    raise _BadJSONError("string never closed", i)
                if self.s[i] not in _ESCAPES:
                    raise _BadJSONError(f"invalid escape '\\{self.s[i]}'", i)
                if self.s[i] == "u":
                    for k in range(1, 5):
                        if i + k >= self.n:
                            raise _BadJSONError("string never closed", i + k)
                        if self.s[i + k] not in _HEX:
                            raise _BadJSONError("invalid \\u escape", i + k)
                    i += 4
            elif ord(c) < 0x20:
                raise _BadJSONError("unescaped control character in a string", i)
            i += 1

    def number(self, i: int) -> int:
        if self.s[i] == "-":
            i += 1
        if i >= self.n or not self.s[i].isdigit():
            raise _BadJSONError("a digit was expected in a number", i)
        if self.s[i] == "0":
            i += 1
        else:
            while i < self.n and self.s[i].isdigit():
                i += 1
        if i < self.n and self.s[i] == ".":
            i += 1
            if i >= self.n or not self.s[i].isdigit():
                raise _BadJSONError("a digit was expected after '.'", i)
            while i < self.n and self.s[i].isdigit():
                i += 1
        if i < self.n and self.s[i] in "eE":
            i += 1
            if i < self.n and self.s[i] in "+-":
                i += 1
            if i >= self.n or not self.s[i].isdigit():
                raise _BadJSONError("a digit was expected in the exponent", i)
            while i < self.n and self.s[i].isdigit():
                i += 1
        return i


def first_bad_offset(text: str) -> tuple[str, int] | None:
    """The reason and character index of the first bad character, or None if `text` is JSON."""
    scanner = _Scanner(text)
    try:
        end = scanner.ws(scanner.value(0, 0))
    except _BadJSONError as bad:
        return bad.reason, bad.pos
    except RecursionError:
        return "nested too deeply", 0
    if end != len(text):
        return "data after the JSON value", end
    return None
