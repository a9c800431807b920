"""A verifier remembers where the four required headers are in a dict of given names; it
must answer as the careful path does for the same headers given as (name, value) pairs.

Names in any case, spelled twice (with the same or another value), not text, values blank
or not text, extra headers: one long-lived verifier (so the remembered layouts fill up and
are cleared) gives the dict the same outcome as the pairs. Signatures are made with raw
`cryptography`.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bisnap import BisnapError, FixedClock
from bisnap.clock import JAKARTA
from bisnap.notifications import NotificationVerifier
from tests.property._notify import PATH, PUBLIC, Recording, sign

BODY = b'{"latestTransactionStatus":"00"}'
TS = "2024-03-05T17:37:16+07:00"
GOOD = {
    "X-TIMESTAMP": TS,
    "X-SIGNATURE": sign(BODY, TS),
    "X-PARTNER-ID": "G1",
    "X-EXTERNAL-ID": "7",
}
VERIFIER = NotificationVerifier(
    public_key=PUBLIC,
    clock=FixedClock(datetime(2024, 3, 5, 17, 37, 16, tzinfo=JAKARTA)),
    replay_store=Recording(),  # accepts every claim: the headers are what is tested
)


def _recased(name: str, flips: list[bool]) -> str:
    flips = (flips + [False] * len(name))[: len(name)]
    return "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))


@st.composite
def header_dicts(draw: st.DrawFn) -> dict[object, object]:
    headers: dict[object, object] = {}
    extras = draw(st.lists(st.sampled_from(["Content-Type", "Host", "X-Extra"]), max_size=2))
    for name in extras:
        headers[name] = "x"
    for name, value in GOOD.items():
        case = draw(st.lists(st.booleans(), max_size=len(name)))
        fate = draw(
            st.sampled_from(["keep"] * 6 + ["drop", "blank", "bytes", "int", "twice", "again"])
        )
        spelled = _recased(name, case)
        if fate == "drop":
            continue
        if fate == "blank":
            headers[spelled] = " "
        elif fate == "bytes":
            headers[spelled.encode()] = value
        elif fate == "int":
            headers[spelled] = 7
        else:
            headers[spelled] = value
            if fate in ("twice", "again"):  # a second spelling: the same or another value
                headers[spelled.lower() if spelled != spelled.lower() else spelled.upper()] = (
                    value if fate == "again" else value + "0"
                )
    if draw(st.booleans()):
        items = list(headers.items())
        order = draw(st.permutations(range(len(items))))
        headers = {items[i][0]: items[i][1] for i in order}
    return headers


def _outcome(headers: object) -> tuple[str, str]:
    try:
        notification = VERIFIER.verify(
            method="POST",
            path=PATH,
            headers=headers,  # type: ignore[arg-type]
            body=BODY,
        )
    except BisnapError as err:
        return type(err).__name__, str(err)
    return "ok", f"{notification.partner_id}/{notification.external_id}"


@settings(max_examples=600, deadline=None)
@given(header_dicts())
def test_a_dict_answers_as_its_pairs(headers: dict[object, object]) -> None:
    assert _outcome(headers) == _outcome(list(headers.items()))


def test_the_plain_dict_is_accepted_in_any_case_and_order() -> None:
    assert _outcome(dict(GOOD)) == ("ok", "G1/7")
    lowered = {name.lower(): value for name, value in reversed(GOOD.items())}
    assert _outcome(lowered) == ("ok", "G1/7")
    assert _outcome({**GOOD, "x-timestamp": TS}) == ("ok", "G1/7")  # the same value twice
    kind, message = _outcome({**GOOD, "x-partner-id": "G2"})
    assert kind == "HeaderError"
    assert "more than once" in message
