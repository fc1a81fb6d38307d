"""Personal-data master key rotation without a database: the vault's key fallback and the
refusals of `polku rotate-master-key`."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from typer.testing import CliRunner

from polku.cli import app
from services.referral.personal_data import (
    PersonalData,
    PersonalDataErasedError,
    PersonalDataUnreadable,
    PersonalDataVault,
)

CLIENT_ID_KEY = "unit-client-id-key"
PERSON = PersonalData("010101A123N", "Testi", "Henkilö")


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def vault(current: str, previous: str | None = None) -> PersonalDataVault:
    return PersonalDataVault(master_key=current, client_id_key=CLIENT_ID_KEY,
                             previous_master_key=previous)


def test_vault_opens_with_the_previous_key_and_seals_with_the_current() -> None:
    old, new = new_key(), new_key()
    client_id = uuid.uuid4()
    sealed_old = vault(old).seal(client_id, PERSON)
    rotating = vault(new, old)
    assert rotating.open(sealed_old) == PERSON
    sealed_new = rotating.seal(client_id, PERSON)
    assert vault(new).open(sealed_new) == PERSON
    with pytest.raises(PersonalDataUnreadable):
        vault(old).open(sealed_new)
    with pytest.raises(PersonalDataUnreadable):
        vault(new).open(sealed_old)


def test_rewrap_changes_only_the_wrapped_key() -> None:
    old, new = new_key(), new_key()
    sealed = vault(old).seal(uuid.uuid4(), PERSON)
    rotating = vault(new, old)
    rewrapped = rotating.rewrap(sealed)
    assert rewrapped is not None
    assert (rewrapped.nonce, rewrapped.ciphertext) == (sealed.nonce, sealed.ciphertext)
    assert rewrapped.key_nonce != sealed.key_nonce
    assert vault(new).open(rewrapped) == PERSON
    assert rotating.rewrap(rewrapped) is None  # already under the current key


def test_rewrap_refuses_keys_neither_master_opens_and_erased_records() -> None:
    stranger = vault(new_key()).seal(uuid.uuid4(), PERSON)
    rotating = vault(new_key(), new_key())
    with pytest.raises(PersonalDataUnreadable, match="neither"):
        rotating.rewrap(stranger)
    with pytest.raises(PersonalDataUnreadable):
        rotating.open(stranger)
    erased = stranger.__class__(stranger.client_id, None, None, stranger.nonce,
                                stranger.ciphertext)
    with pytest.raises(PersonalDataErasedError):
        rotating.rewrap(erased)


def test_a_record_moved_to_another_client_id_does_not_open() -> None:
    old, new = new_key(), new_key()
    sealed = vault(old).seal(uuid.uuid4(), PERSON)
    moved = sealed.__class__(uuid.uuid4(), sealed.wrapped_key, sealed.key_nonce, sealed.nonce,
                             sealed.ciphertext)
    with pytest.raises(PersonalDataUnreadable):
        vault(new, old).open(moved)


def test_previous_key_is_validated_and_empty_means_unset() -> None:
    with pytest.raises(ValueError, match="POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY"):
        vault(new_key(), "not base64!")
    assert not vault(new_key(), "").has_previous_key
    same = new_key()
    assert not vault(same, same).has_previous_key


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY", raising=False)
    # Nothing listens here: a refusal must come before any connection attempt.
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.delenv("REFERRAL_DATABASE_URL", raising=False)
    return CliRunner()


def test_cli_refuses_without_a_previous_key(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_PERSONAL_DATA_MASTER_KEY", new_key())
    result = runner.invoke(app, ["rotate-master-key"])
    assert result.exit_code == 2
    assert "POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY is not set" in result.output
    assert "nothing was changed" in result.output


def test_cli_refuses_when_previous_equals_current(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key()
    monkeypatch.setenv("POLKU_PERSONAL_DATA_MASTER_KEY", key)
    monkeypatch.setenv("POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY", key)
    result = runner.invoke(app, ["rotate-master-key"])
    assert result.exit_code == 2
    assert "equals" in result.output


def test_cli_refuses_a_malformed_previous_key(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_PERSONAL_DATA_MASTER_KEY", new_key())
    monkeypatch.setenv("POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY", "c2hvcnQ=")
    result = runner.invoke(app, ["rotate-master-key"])
    assert result.exit_code == 2
    assert "32 bytes" in result.output
