"""Turning boto3 failures into one sentence a user can act on, and knowing which ones a retry may cure.

boto3 has already retried (standard/adaptive mode, bounded attempts) by the time an error reaches us, so
these messages are final for this attempt; `transient` tells the Prefect task whether another attempt may
help (store down or slow) or not (key refused, access denied, object already there).
"""

from __future__ import annotations

from auditbridge.errors import StorageError

_KEY_REFUSED = {
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
}
_DENIED = {"AccessDenied", "AllAccessDisabled", "403"}
_TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "503",
    "500",
    "502",
    "504",
}


class PublishError(StorageError):
    """A StorageError that says whether retrying the same operation later may succeed."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(
            response.get("Error", {}).get("Code")
            or response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            or ""
        )
    return None


def describe(exc: BaseException, *, action: str, where: str, endpoint: str | None) -> PublishError:
    """A PublishError for `exc`, raised while doing `action` (e.g. 'upload') on `where` (an s3:// URI)."""
    from botocore import exceptions as bx

    store = f"the object store at {endpoint}" if endpoint else "AWS S3"
    if isinstance(exc, PublishError):
        return exc
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return PublishError(
            f"cannot {action} {where}: no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
            "AWS_PROFILE, name a Prefect AwsCredentials block in publish.aws_credentials_block, or start the "
            "embedded store with 'auditbridge storage start')"
        )
    if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return PublishError(
            f"cannot {action} {where}: {store} did not answer in time (after bounded retries): {exc}",
            transient=True,
        )
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError | bx.HTTPClientError):
        return PublishError(
            f"cannot {action} {where}: {store} is unreachable (after bounded retries): {exc}", transient=True
        )
    code = error_code(exc)
    if code in _KEY_REFUSED:
        return PublishError(
            f"cannot {action} {where}: {store} refused the access key ({code}); check the key and its secret"
        )
    if code in _DENIED:
        return PublishError(
            f"cannot {action} {where}: access denied by {store}; this key is not allowed to {action} there"
        )
    if code == "NoSuchBucket":
        return PublishError(f"cannot {action} {where}: the bucket does not exist on {store}")
    if code == "PreconditionFailed":
        return PublishError(
            f"cannot {action} {where}: an object is already there and a published run is never overwritten"
        )
    if code in _TRANSIENT_CODES:
        return PublishError(
            f"cannot {action} {where}: {store} failed ({code}) after bounded retries: {exc}", transient=True
        )
    if code:
        return PublishError(f"cannot {action} {where}: {store} answered {code}: {exc}")
    return PublishError(f"cannot {action} {where}: {type(exc).__name__}: {exc}", transient=True)


class NotPublished(PublishError):
    """No complete run matches what the reader asked for (a normal answer for a first audit)."""
