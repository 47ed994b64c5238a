"""The parts of a key that make the server redact its value (a module of its own: the native
engine of ``check`` needs them without the reference's parser)."""

from __future__ import annotations

from typing import Final

__all__ = ["SENSITIVE_KEY_PARTS"]

SENSITIVE_KEY_PARTS: Final = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "bearer",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "auth_token",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "private_key",
    "privatekey",
    "secret_key",
    "secretkey",
    "client_secret",
    "clientsecret",
    "connection_string",
    "connectionstring",
    "db_password",
    "database_password",
    "aws_secret",
    "gcp_key",
    "azure_key",
    "ssh_key",
    "sshkey",
    "passphrase",
    "pem",
    "cert",
    "certificate",
    "oauth_token",
    "id_token",
    "encryption_key",
    "decrypt_key",
    "master_key",
    "snowflake_password",
    "snowflake_token",
    "private_key_passphrase",
)
