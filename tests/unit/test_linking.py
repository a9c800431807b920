"""seamlessSign from its recipe, checked by openssl; the auth-code redirect parsed."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from bisnap.errors import InputError, KeyFormatError, VerificationError
from bisnap.linking import parse_auth_redirect, seamless_data, seamless_sign

# The PKCS#8 key of the VERIFIED Midtrans access-token vector (shared/spec/
# midtrans-vectors.json, midtrans-b2b-access-token-rsa-01); Midtrans signs seamlessSign with the
# same merchant key (midtrans-core.md §1.1).
KEY_PEM = """-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCVZu2WHd4z5tbe
fkAWPjbB10Lgvu1CpsuIIVtO/wrrvKeD2LArmYSf5QxeJGG8HYlVYVp8I8/EVqay
JUbcyOd4aMLQFiCambDipecCfI7ecJ0K4+2ZneWOEq9JM91ZnGtwuLVdr1X/4/Nv
yGuNvmLAyfpJkU14yZliAUqJJ656jpM+WfY+hOpcLOzUe2wzx5RV7wYCyMl7/d1i
X33afJc6kbbUaA27yjlPdY6m0+DoZ0NNaRNZS7jzfJFtVXLTg/PgvwMNlMO/5Zyw
BWIOfWsD+MHUC6P9QYrHai8ZwEf9r+GivlNsAFs4NTpw9MdPngrexJm29k1Xh4UM
HV//jB1/AgMBAAECggEADcXGyitns/4oOauGyeYjUxw+eIxxP88zfRGiIralMZUb
Fi7wEpzc2oaZbMZK0jYg1mOanU4J1a4tQMfp7+l/WRzDNL6Nc+MOKN6lXJfR7dSQ
zZO0cBBbvIyhZwymb5/ZUbNdWM0UjvnbE6d0rsTpwp77+TMxYpynDJ9U2S70ySxe
fGi7x4rK02/8xmj1fY/Ls+uoYhF4IbGJIkFvrlAdWyFvv6sCGBYxl5sPuitgQxPv
Yc7dS7HE+6nZ+wWgoIXjC4CfxHBa9u3dfu3XAnPY3xpnVsbxCAH9OOIrZPY0C/Pq
gj+EElCBChUzDiedV3XipKUweDA+64sNm5NjqlqU8QKBgQDFf5a9vHVf9r2CTOgm
z5wTrK7aTwKwCNC4zpZUxDR8k7AV2gTelabpPWqUMZyRMUPs2hyBvhEWVNKxx3qs
7BAVpmcttuS5/dLNVdhNPUC2IgZqf3jWH2aS3lkci8DATQCphrEXZ3jrNaIRtrSC
kflE+yY8YP8b7ObktgvHz39JMQKBgQDBqCsMmOsQAveIQk5FGAMxsFU9G7OIBFHo
xpwkKUCjoqGxM+YQqDvcVeXNd/HdLnmR05//eoONemuDyYy8XRoud4tpaRKU/FK7
06WdljztB5rn2+cdUbmcU0fZiRQk+WuXsopZn3GUNvA/fQOW9qs7B5Rm5W71FeGk
ZgsvlAUlrwKBgQCUgFFaLWCcXa01UpqkxCp5aLi5EfvVXWuD6mKDLlzA51PZums6
6o/shO+kqoEtczu91mrk64NxpSof3vxRFdcqUEr4xrLJXx+oocnYmhwUVxU38s1r
Q4UfHe0nV7YBYmUDE3IJRRZY1aUdaKHmI9iok6e2csCfwMwEYRYOkekFoQKBgCyy
Oa1gpfA+Hw+N7i64ShRv1FyURi2Agb8uB9+4vbiG0rbpeZIioh5KnQ19P4+DKH/l
zinTBwXiWWpDXH4lJuPOp5ierbFBQ38ibDkg8dLrTG9zK7ZypFpWRmEI6GNYReLv
TEs/J6HDxFOC8Q8ow4COUUwmbCOY90lQXAiRK1b1AoGAScK1db9X5Ct+JtnjYyzi
GYLwyPhHCQIVmEDfuvbMs74woQsrBm3dBB3b2vf9pqcSZB4WAbTQ3wCdxCJKg6MN
6eXBO1M1lcIpZjCDyiXXi7PozNmkasRDUyDFwxlnyDLdRHL3FD+dh6do32FwGLBQ
u256RIyMB13qIuqrc91Z0hM=
-----END PRIVATE KEY-----
"""
DATA = "mobileNumber=62822999999&paymentType=gopay"


def test_seamless_data_recipe() -> None:
    assert seamless_data("62822999999") == DATA
    assert seamless_data("+62822999999") == DATA
    assert seamless_data("0822999999") == "mobileNumber=62822999999&paymentType=gopay"
    with pytest.raises(InputError):
        seamless_data("0822-999")


def test_seamless_sign_matches_openssl(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text(KEY_PEM)
    data = tmp_path / "data"
    data.write_bytes(DATA.encode())
    # openssl is the independent implementation: SHA256withRSA (PKCS#1 v1.5) over the bytes.
    raw = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key), str(data)],
        check=True,
        capture_output=True,
    ).stdout
    assert seamless_sign(KEY_PEM, DATA) == base64.b64encode(raw).decode()
    assert len(seamless_sign(KEY_PEM, DATA)) == 344


def test_seamless_sign_refuses_bad_input() -> None:
    with pytest.raises(InputError):
        seamless_sign(KEY_PEM, "")
    with pytest.raises(KeyFormatError):
        seamless_sign("not a key", DATA)


def test_parse_auth_redirect() -> None:
    url = "https://shop.example/back?authCode=a1b2&state=csrf-1&success=true&x=1"
    found = parse_auth_redirect(url, expected_state="csrf-1")
    assert (found.auth_code, found.state, found.success) == ("a1b2", "csrf-1", "true")
    assert found.extra == {"x": "1"} and found.location == url
    assert "a1b2" not in repr(found)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://s.example/b?authCode=a&state=other", VerificationError),
        ("https://s.example/b?authCode=a&state=csrf-1&result=abort", InputError),
        ("https://s.example/b?authCode=a&state=csrf-1&result=failure", InputError),
        ("https://s.example/b?state=csrf-1&success=false", InputError),
        ("https://s.example/b?state=csrf-1", InputError),
        ("https://s.example/b?responseCode=4001002&responseMessage=Bad&state=csrf-1", InputError),
    ],
)
def test_parse_auth_redirect_refuses_failures(url: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_auth_redirect(url, expected_state="csrf-1")


def test_without_expected_state_nothing_is_judged() -> None:
    found = parse_auth_redirect("https://gopay.example/pin?ref=1")
    assert found.auth_code is None and found.extra == {"ref": "1"}
