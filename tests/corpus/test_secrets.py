"""The corpus's secret finder (built on the reference's redaction) against noetl-server's own test
vectors."""

from __future__ import annotations

import pytest

from conformance.corpus._secrets import (
    MAX_DEPTH,
    SENSITIVE_KEY_PARTS,
    is_sensitive_key,
    is_sensitive_value,
    secret_paths,
)

# ---- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("part", SENSITIVE_KEY_PARTS)
def test_every_key_pattern_is_detected(part: str) -> None:
    assert secret_paths({part: "x"}) == [f"$.{part}"]


@pytest.mark.parametrize("part", SENSITIVE_KEY_PARTS)
def test_key_patterns_match_as_substrings_in_any_case(part: str) -> None:
    key = f"X_{part.upper()}_1"
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "Authorization",
        "X-Api-Key",
        "clientSecret",
        "DB-PASSWORD",
        "my-ssh-key",
        "author",
        "id-token",
    ],
)
def test_keys_are_lowercased_and_dashes_read_as_underscores(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key",
    ["step", "status", "execution_id", "parent_event_id", "key", "monkey", "attempts", "api-k"],
)
def test_ordinary_keys_are_not_sensitive(key: str) -> None:
    assert not is_sensitive_key(key)


def test_a_sensitive_keys_value_is_replaced_whole_and_not_walked() -> None:
    value = {"auth": {"password": "x", "note": "Bearer y"}, "ok": 1}
    assert secret_paths(value) == ["$.auth"]


def test_any_value_under_a_sensitive_key_counts() -> None:
    assert secret_paths({"token": None, "pem": 3, "cert": [1]}) == ["$.token", "$.pem", "$.cert"]


# ---- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Bearer abc", "bearer x", "BEARER ", "Basic dXNlcjpwYXNzd29yZA==", "basic x", "bAsIc y"],
)
def test_bearer_and_basic_prefixes_in_any_case(value: str) -> None:
    assert is_sensitive_value(value)


@pytest.mark.parametrize(
    "value", ["Bearer", "Basic", "bearer-token-7", "Basically fine", " Bearer x"]
)
def test_bearer_and_basic_need_the_word_then_a_space_at_the_start(value: str) -> None:
    assert not is_sensitive_value(value)


JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Rq8IjqbeD5K5"


def test_jwt_like_string() -> None:
    assert is_sensitive_value(JWT)


def test_jwt_like_needs_over_50_bytes() -> None:
    exactly_50 = "eyJ" + "a" * 20 + "." + "b" * 20 + "." + "c" * 5
    assert len(exactly_50) == 50
    assert not is_sensitive_value(exactly_50)
    assert is_sensitive_value(exactly_50 + "d")


@pytest.mark.parametrize(
    "value",
    [
        "eyJ" + "a" * 30 + "." + "b" * 30,  # one dot
        "eyJ" + "a" * 20 + "." + "b" * 20 + "." + "c" * 20 + ".d",  # three dots
        "xeyJ" + "a" * 20 + "." + "b" * 20 + "." + "c" * 20,  # not at the start
    ],
)
def test_not_jwt_like(value: str) -> None:
    assert not is_sensitive_value(value)


@pytest.mark.parametrize(
    "value",
    [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=",
        "key follows: -----BEGIN EC PRIVATE KEY-----",
    ],
)
def test_pem_private_key(value: str) -> None:
    assert is_sensitive_value(value)


@pytest.mark.parametrize(
    "value", ["-----BEGIN PUBLIC KEY-----\nMIIB", "-----BEGIN CERTIFICATE-----", "PRIVATE KEY-----"]
)
def test_pem_without_a_private_key_is_not_a_secret(value: str) -> None:
    assert not is_sensitive_value(value)


@pytest.mark.parametrize(
    "value",
    [
        "a" * 40,
        "A1b2" * 10,
        "aGVsbG8gd29ybGQgdGhpcyBpcyBvcmRpbmFyeSBkYXRhIG5vdCBhIHNlY3JldA==",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "9" * 40,
        "++//==" * 7,
        "é" * 20,  # 40 UTF-8 bytes of letters
        "٤" * 20,  # Arabic-Indic digits: numeric, 40 bytes
    ],
)
def test_long_base64_ish_strings(value: str) -> None:
    assert is_sensitive_value(value)


@pytest.mark.parametrize(
    "value",
    [
        "a" * 39,
        "é" * 19 + "a",  # 39 bytes
        "a" * 39 + "-",
        "a" * 20 + "_" + "a" * 20,
        "a" * 20 + " " + "a" * 20,
        "a" * 20 + "." + "a" * 20,
        "gs://noetl-results/478775660589088776/fetch_calendar",
    ],
)
def test_not_long_base64_ish(value: str) -> None:
    assert not is_sensitive_value(value)


# ---- depth ---------------------------------------------------------------------------------


def _nested(depth: int, leaf: object) -> object:
    value = leaf
    for _ in range(depth):
        value = {"d": value}
    return value


def test_depth_limit_for_keys() -> None:
    # The object holding the key stands at `depth`; keys are checked while depth < 20.
    assert secret_paths(_nested(MAX_DEPTH - 1, {"password": "x"}))
    assert secret_paths(_nested(MAX_DEPTH, {"password": "x"})) == []


def test_depth_limit_for_values() -> None:
    # A string at depth 19 is checked; at depth 20 it is left alone.
    assert secret_paths(_nested(MAX_DEPTH - 1, "Bearer x"))
    assert secret_paths(_nested(MAX_DEPTH, "Bearer x")) == []


def test_arrays_count_towards_depth() -> None:
    value: object = "Bearer x"
    for _ in range(MAX_DEPTH):
        value = [value]
    assert secret_paths(value) == []
    assert secret_paths(value[0]) == ["$" + "[0]" * (MAX_DEPTH - 1)]  # type: ignore[index]


def test_root_string_is_depth_zero() -> None:
    assert secret_paths("Bearer x") == ["$"]


# ---- paths and the server's own vectors --------------------------------------------------------


def test_paths_name_keys_and_indexes() -> None:
    value = {"meta": {"headers": [{"Authorization": "x"}]}, "a b": "Basic y", "ok": "fine"}
    assert secret_paths(value) == ["$.meta.headers[0].Authorization", '$["a b"]']
    assert secret_paths({"x": "Bearer z"}, root="$.context") == ["$.context.x"]


@pytest.mark.parametrize(
    ("value", "paths"),
    [
        ({"user": "admin", "password": "secret123"}, ["$.password"]),
        ({"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"}, ["$.Authorization"]),
        ({"header": "Bearer xyz123abc456"}, ["$.header"]),
        ({"config": {"username": "admin", "api_key": "secret_key_123"}}, ["$.config.api_key"]),
        (
            [{"name": "item1", "token": "secret1"}, {"name": "item2", "token": "secret2"}],
            ["$[0].token", "$[1].token"],
        ),
        ({"name": "test", "count": 42, "enabled": True, "tags": ["a", "b"]}, []),
        ({"header": JWT}, ["$.header"]),
    ],
)
def test_noetl_server_sanitize_vectors(value: object, paths: list[str]) -> None:
    assert secret_paths(value) == paths
