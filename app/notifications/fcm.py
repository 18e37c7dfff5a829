"""Sending one push message through firebase-admin (FCM HTTP v1).

The endpoint is a setting (FCM_ENDPOINT). firebase-admin 7.7 reads its URL from the class
attribute `messaging._MessagingService.FCM_URL` when an app's messaging service is first created;
`_messaging_service` below is the ONE place that applies the setting: it creates the service of
a named firebase app (one per endpoint/project/credentials) with the attribute temporarily set,
under a lock, and restores it. Every later send of that app uses the cached service.

firebase-admin's HTTP adapter also retries 500/503 itself (urllib3, up to 4 times with growing
sleeps). Delivery keeps its own retry schedule in the outbox (next_attempt_at, one recorded
attempt per try), so the transport here does not retry statuses; connection errors are retried
once.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import firebase_admin
import google.auth.credentials
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

GOOGLE_FCM_ENDPOINT = "https://fcm.googleapis.com"
_URL_LOCK = threading.Lock()


class PushError(Exception):
    """A send that did not succeed. `kind`: retry | unregistered | invalid | failed."""

    def __init__(self, kind: str, code: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.code, self.message = kind, code, message


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str]


class _AnonymousCredential(credentials.Base):
    """No OAuth token: for a local FCM-compatible server (tests, emulators) only."""

    def get_credential(self) -> google.auth.credentials.Credentials:
        return google.auth.credentials.AnonymousCredentials()


# The error kinds delivery acts on; anything else fails this device for this notification.
_RETRY = (exceptions.UnavailableError, exceptions.InternalError, exceptions.DeadlineExceededError,
          exceptions.ResourceExhaustedError, exceptions.UnknownError,
          messaging.QuotaExceededError)
_GONE = (messaging.UnregisteredError,)
_INVALID = (exceptions.InvalidArgumentError, exceptions.NotFoundError)


class FcmClient:
    """The real firebase-admin client against FCM_ENDPOINT."""

    def __init__(self, *, project_id: str, endpoint: str = GOOGLE_FCM_ENDPOINT,
                 credentials_file: str | None = None, timeout_s: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        if credentials_file:
            credential: credentials.Base = credentials.Certificate(credentials_file)
        elif self.endpoint != GOOGLE_FCM_ENDPOINT:
            credential = _AnonymousCredential()
        else:
            raise ValueError("FCM needs FCM_CREDENTIALS_FILE (a service-account JSON file).")
        name = "fieldops-" + hashlib.sha256(
            f"{self.endpoint}|{project_id}|{credentials_file}".encode()).hexdigest()[:16]
        try:
            self.app = firebase_admin.get_app(name)
        except ValueError:
            self.app = firebase_admin.initialize_app(
                credential, {"projectId": project_id, "httpTimeout": timeout_s}, name=name)
        self._service = _messaging_service(self.app, self.endpoint)

    def send(self, message: PushMessage) -> str:
        """The FCM message name on success; PushError otherwise."""
        msg = messaging.Message(
            fid=message.token, data=message.data,
            notification=messaging.Notification(title=message.title, body=message.body))
        try:
            return str(messaging.send(msg, app=self.app))
        except _GONE as exc:
            raise PushError("unregistered", "UNREGISTERED", str(exc)) from exc
        except _INVALID as exc:
            raise PushError("invalid", _code(exc), str(exc)) from exc
        except _RETRY as exc:
            raise PushError("retry", _code(exc), str(exc)) from exc
        except exceptions.FirebaseError as exc:
            raise PushError("failed", _code(exc), str(exc)) from exc


def _code(exc: Any) -> str:
    """The FCM error code when FCM named one (e.g. QUOTA_EXCEEDED), else the platform code."""
    if isinstance(exc, messaging.QuotaExceededError):
        return "QUOTA_EXCEEDED"
    return str(getattr(exc, "code", None) or type(exc).__name__)


def _messaging_service(app: firebase_admin.App, endpoint: str) -> Any:
    """Create (once) the app's messaging service against `endpoint` — the one place."""
    with _URL_LOCK:
        original = messaging._MessagingService.FCM_URL
        messaging._MessagingService.FCM_URL = endpoint + "/v1/projects/{0}/messages:send"
        try:
            service = messaging._get_messaging_service(app)
        finally:
            messaging._MessagingService.FCM_URL = original
    no_status_retries = Retry(connect=1, read=1, status=0, raise_on_status=False,
                              allowed_methods=None)
    service._client.session.mount(endpoint, HTTPAdapter(max_retries=no_status_retries))
    return service


def push_client_from_config(config: Any) -> FcmClient | None:
    """The configured client, or None (no credentials: the outbox is kept and logged)."""
    project = config.get("FCM_PROJECT_ID")
    endpoint = (config.get("FCM_ENDPOINT") or GOOGLE_FCM_ENDPOINT).rstrip("/")
    creds = config.get("FCM_CREDENTIALS_FILE")
    if not project or (not creds and endpoint == GOOGLE_FCM_ENDPOINT):
        return None
    return FcmClient(project_id=project, endpoint=endpoint, credentials_file=creds)
