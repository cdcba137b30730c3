"""Which object store a run talks to, with which key: decided here, in one place.

The rule, first match wins (`resolve_target`):

1. `publish.aws_credentials_block` names a Prefect `AwsCredentials` block: its keys (or profile, or assumed
   role), its region, and the endpoint from `publish.endpoint_url`, else the block's client parameters, else
   `$AWS_ENDPOINT_URL_S3` / `$AWS_ENDPOINT_URL`. The block is loaded only then, at run time.
2. An endpoint is configured (`publish.endpoint_url`, `$AWS_ENDPOINT_URL_S3` or `$AWS_ENDPOINT_URL`, as
   `auditbridge storage env` prints): that endpoint with the standard AWS credential chain.
3. AWS credentials are configured locally (`$AWS_ACCESS_KEY_ID`, `$AWS_PROFILE`, a web-identity token, a
   container credentials URI, or an existing `~/.aws/credentials` / `~/.aws/config`) AND a bucket is named
   (`publish.bucket` or `$AUDITBRIDGE_BUCKET`): AWS S3 with the standard chain.
4. The embedded store of this state folder is running: its endpoint, its bucket unless one is named, and its
   publisher key for publishing or its read-only reader key for reading (`role`).
5. Otherwise AWS S3 with the standard chain (an instance or task role may still provide keys), which needs a
   bucket: without one, a UsageError says how to configure one of the above.

Credentials never come from audit.yaml. The bucket comes from `publish.bucket`, else `$AUDITBRIDGE_BUCKET`,
else (embedded store only) the store's bucket. One client per run: boto3 clients are not shared across runs
or threads, and are never built at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from auditbridge.config import PublishSettings
from auditbridge.errors import UsageError

Role = Literal["publisher", "reader"]

_CHAIN_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


@dataclass(frozen=True)
class Target:
    """Where a run's objects go and how the client was chosen (for messages and the report's links)."""

    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str | None
    source: str  # "aws-credentials-block:<name>" | "endpoint" | "aws" | "embedded-store"
    sse: str | None = "AES256"

    @property
    def embedded(self) -> bool:
        return self.source == "embedded-store"

    def uri(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}"


def _endpoint(settings: PublishSettings, env: Mapping[str, str]) -> str | None:
    return settings.endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None


def chain_configured(env: Mapping[str, str]) -> bool:
    """Whether the standard AWS chain has local credentials to find, without any network call (the
    instance-metadata lookup, which may take seconds where there is no instance, is left out on purpose)."""
    if any(env.get(name) for name in _CHAIN_ENV):
        return True
    home = Path(env.get("HOME") or Path.home())
    files = [
        env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials",
        env.get("AWS_CONFIG_FILE") or home / ".aws" / "config",
    ]
    return any(Path(f).expanduser().is_file() for f in files)


def _no_bucket() -> UsageError:
    return UsageError(
        "no object store configured: set publish.bucket in audit.yaml (or $AUDITBRIDGE_BUCKET) with AWS "
        "credentials, or publish.endpoint_url / $AWS_ENDPOINT_URL for another S3-compatible store, or start the "
        "embedded store with 'auditbridge storage start'"
    )


def _sse(settings: PublishSettings) -> str | None:
    return None if settings.server_side_encryption == "none" else settings.server_side_encryption


def _block_client(
    settings: PublishSettings, env: Mapping[str, str], *, timeout: float, attempts: int
) -> tuple[Any, Target]:
    """Rule 1: keys from a Prefect AwsCredentials block (imported and loaded only here)."""
    from auditbridge.s3 import make_client

    name = settings.aws_credentials_block or ""
    try:
        from prefect_aws import AwsCredentials

        block = AwsCredentials.load(name)
    except Exception as exc:
        raise UsageError(
            f"publish.aws_credentials_block: cannot load the Prefect AwsCredentials block {name!r}: {exc}"
        ) from None
    session = block.get_boto3_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise UsageError(f"publish.aws_credentials_block: the block {name!r} provides no AWS credentials")
    frozen = credentials.get_frozen_credentials()
    params = getattr(block, "aws_client_parameters", None)
    endpoint = settings.endpoint_url or getattr(params, "endpoint_url", None) or _endpoint(settings, env)
    region = settings.region or session.region_name
    bucket = settings.bucket or env.get("AUDITBRIDGE_BUCKET")
    if not bucket:
        raise _no_bucket()
    client = make_client(
        endpoint,
        frozen.access_key,
        frozen.secret_key,
        session_token=frozen.token,
        region=region,
        timeout=timeout,
        attempts=attempts,
    )
    return client, Target(
        bucket, settings.prefix, endpoint, region, f"aws-credentials-block:{name}", _sse(settings)
    )


def resolve_client(
    settings: PublishSettings | None = None,
    *,
    role: Role = "publisher",
    env: Mapping[str, str] | None = None,
    store: Any = None,
    timeout: float = 30,
    attempts: int = 5,
) -> tuple[Any, Target]:
    """The boto3 client and target for one run, by the rule of this module's docstring.

    `store` is the embedded store to consider (default: this state folder's); `role` picks its key. `timeout`
    and `attempts` bound how long a store that is down or slow can hold a run (boto3 standard/adaptive retries)."""
    from auditbridge.s3 import make_client

    settings = settings or PublishSettings()
    env = os.environ if env is None else env
    bucket = settings.bucket or env.get("AUDITBRIDGE_BUCKET")
    endpoint = _endpoint(settings, env)
    if settings.aws_credentials_block:
        return _block_client(settings, env, timeout=timeout, attempts=attempts)
    if endpoint:
        if not bucket:
            raise _no_bucket()
        client = make_client(endpoint, region=settings.region, timeout=timeout, attempts=attempts)
        return client, Target(bucket, settings.prefix, endpoint, settings.region, "endpoint", _sse(settings))
    if bucket and chain_configured(env):
        client = make_client(None, region=settings.region, timeout=timeout, attempts=attempts)
        return client, Target(bucket, settings.prefix, None, settings.region, "aws", _sse(settings))
    if store is None:
        from auditbridge.storage import default_store

        store = default_store()
    if store.pid():
        info = store.info()
        keys = info.publisher if role == "publisher" else info.reader
        client = make_client(
            info.endpoint, keys.access_key, keys.secret_key, timeout=timeout, attempts=attempts
        )
        return client, Target(
            bucket or info.bucket,
            settings.prefix,
            info.endpoint,
            "us-east-1",
            "embedded-store",
            _sse(settings),
        )
    if not bucket:
        raise _no_bucket()
    client = make_client(None, region=settings.region, timeout=timeout, attempts=attempts)
    return client, Target(bucket, settings.prefix, None, settings.region, "aws", _sse(settings))
