"""The Cadreen client: ``Cadreen(api_key=...)`` with ``api_keys``, ``workspaces`` and ``members``."""

from __future__ import annotations

import os
import urllib.parse
from datetime import datetime
from typing import Any, Callable, Dict, Generic, Iterator, List, Optional, TypeVar, Union, cast

from ._errors import ConfigurationError
from ._transport import Transport
from ._types import (
    NOT_GIVEN,
    AddedMember,
    APIKey,
    AuditEvent,
    AuditEventType,
    Health,
    IssuedAPIKey,
    Me,
    Member,
    NotGiven,
    NotGivenOr,
    RateLimitSetting,
    Role,
    Verification,
    Workspace,
)

JSON = Dict[str, Any]
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
T = TypeVar("T")

Timestamp = Union[str, datetime]
"""An RFC 3339 string, or a ``datetime`` with a time zone."""


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _drop_none(values: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _given(values: Dict[str, Any]) -> Dict[str, Any]:
    """The fields that are not ``NOT_GIVEN``; ``None`` stays, and is sent as JSON null (clear the field)."""
    return {k: v for k, v in values.items() if not isinstance(v, NotGiven)}


def _timestamp(value: Any) -> Any:
    """A ``datetime`` as RFC 3339 (it must say its time zone); anything else as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a datetime sent to Cadreen needs a time zone, say datetime.now(timezone.utc)")
        return value.isoformat()
    return value


class Page(Generic[T]):
    """One page of a list: ``items``, ``total`` (when the list counts them) and the cursor to the next page."""

    def __init__(self, items: List[T], next_cursor: Optional[str], total: Optional[int]) -> None:
        self.items = items
        self.next_cursor = next_cursor
        self.total = total

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Page(items={len(self.items)}, next_cursor={self.next_cursor!r}, total={self.total!r})"


def _walk(fetch: Callable[[Optional[str]], Page[T]], cursor: Optional[str] = None) -> Iterator[T]:
    """Every item across pages, following cursors lazily."""
    while True:
        page = fetch(cursor)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


class APIKeys:
    """The keys of the caller's workspace (``/v1/api_keys``). Results are the API's JSON, as dicts."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        labels: Optional[Dict[str, str]] = None,
        external_id: Optional[str] = None,
        expires_at: Optional[Timestamp] = None,
    ) -> IssuedAPIKey:
        """Creates a key; ``key["spec"]["token"]`` is the plaintext, in this response only."""
        body = {
            "metadata": _drop_none({"name": name, "labels": labels, "externalId": external_id}),
            "spec": _drop_none({"description": description, "expiresAt": _timestamp(expires_at)}),
        }
        return cast(IssuedAPIKey, self._transport.request("POST", "/v1/api_keys", body=body))

    def list_page(
        self,
        *,
        limit: Optional[int] = None,
        prefix: Optional[str] = None,
        sort_order: Optional[str] = None,
        include_info: bool = False,
        cursor: Optional[str] = None,
    ) -> Page[APIKey]:
        """One page of keys, newest first unless ``sort_order="asc"``; ``total`` counts every match."""
        query = {
            "limit": limit,
            "prefix": prefix,
            "sortOrder": sort_order,
            "includeInfo": True if include_info else None,
            "cursor": cursor,
        }
        response = self._transport.request("GET", "/v1/api_keys", query=query)
        pagination = response.get("pagination", {})
        return Page(response.get("items", []), pagination.get("nextCursor"), pagination.get("total"))

    def list(
        self,
        *,
        limit: Optional[int] = None,
        prefix: Optional[str] = None,
        sort_order: Optional[str] = None,
        include_info: bool = False,
    ) -> Iterator[APIKey]:
        """Every key, across pages (``limit`` is the page size)."""
        return _walk(
            lambda cursor: self.list_page(
                limit=limit, prefix=prefix, sort_order=sort_order, include_info=include_info, cursor=cursor
            )
        )

    def get(self, key_id: str, *, include_info: bool = False) -> APIKey:
        """One key; ``include_info=True`` adds ``info.createdBy`` (and costs 2 rate-limit units)."""
        response = self._transport.request(
            "GET", f"/v1/api_keys/{_quote(key_id)}", query={"includeInfo": True if include_info else None}
        )
        return cast(APIKey, response)

    def update(
        self,
        key_id: str,
        *,
        name: NotGivenOr[str] = NOT_GIVEN,
        description: NotGivenOr[Optional[str]] = NOT_GIVEN,
        labels: NotGivenOr[Optional[Dict[str, str]]] = NOT_GIVEN,
        external_id: NotGivenOr[Optional[str]] = NOT_GIVEN,
        expires_at: NotGivenOr[Optional[Timestamp]] = NOT_GIVEN,
    ) -> APIKey:
        """Changes the fields given; the others stay as they are. ``None`` clears a field
        (``expires_at=None``: the key no longer expires); ``labels`` replaces all the labels."""
        body = {
            "metadata": _given({"name": name, "labels": labels, "externalId": external_id}),
            "spec": _given({"description": description, "expiresAt": _timestamp(expires_at)}),
        }
        return cast(APIKey, self._transport.request("PATCH", f"/v1/api_keys/{_quote(key_id)}", body=body))

    def rotate(self, key_id: str, *, grace_period_seconds: Optional[int] = None) -> IssuedAPIKey:
        """Replaces an active key; the new key's ``spec.token`` is in this response only. The old key
        keeps working for ``grace_period_seconds`` (at most 7 days; none by default)."""
        body = _drop_none({"gracePeriodSeconds": grace_period_seconds})
        return cast(IssuedAPIKey, self._transport.request("POST", f"/v1/api_keys/{_quote(key_id)}/rotate", body=body))

    def revoke(self, key_id: str) -> APIKey:
        """Revokes a key (idempotent) and returns it."""
        return cast(APIKey, self._transport.request("DELETE", f"/v1/api_keys/{_quote(key_id)}"))


class AuditEvents:
    """The audit log of the caller's workspace (``/v1/audit_events``), newest first: every change of a
    key, workspace or member, sign-ins, and refused authentications."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def list_page(
        self,
        *,
        limit: Optional[int] = None,
        type: Optional[AuditEventType] = None,
        cursor: Optional[str] = None,
    ) -> Page[AuditEvent]:
        """One page of events (``limit`` 1–500, default 50), only those of ``type`` when given."""
        response = self._transport.request("GET", "/v1/audit_events", query={"limit": limit, "type": type, "cursor": cursor})
        return Page(response.get("items", []), response.get("pagination", {}).get("nextCursor"), None)

    def list(self, *, limit: Optional[int] = None, type: Optional[AuditEventType] = None) -> Iterator[AuditEvent]:
        """Every event, across pages (``limit`` is the page size)."""
        return _walk(lambda cursor: self.list_page(limit=limit, type=type, cursor=cursor))


class Workspaces:
    """Workspaces (``/api/v1/maas/workspaces``): the admin token creates, lists and changes them; a key may
    ``get`` its own."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(
        self,
        name: str,
        *,
        account_id: Optional[str] = None,
        rate_limit: Optional[RateLimitSetting] = None,
        workspace_rate_limit: Optional[RateLimitSetting] = None,
    ) -> Workspace:
        """Creates a workspace (in the deployment's only account when ``account_id`` is left out).
        ``rate_limit`` is each key's limit, ``workspace_rate_limit`` the budget its keys share, both
        ``{"limit": …, "window_seconds": …}``; left out, the deployment's defaults apply."""
        body = _drop_none(
            {"name": name, "account_id": account_id, "rate_limit": rate_limit, "workspace_rate_limit": workspace_rate_limit}
        )
        return cast(Workspace, self._transport.request("POST", "/api/v1/maas/workspaces", body=body))

    def get(self, workspace_id: str) -> Workspace:
        """One workspace, with the limits in force."""
        return cast(Workspace, self._transport.request("GET", f"/api/v1/maas/workspaces/{_quote(workspace_id)}"))

    def update(
        self,
        workspace_id: str,
        *,
        name: NotGivenOr[str] = NOT_GIVEN,
        rate_limit: NotGivenOr[Optional[RateLimitSetting]] = NOT_GIVEN,
        workspace_rate_limit: NotGivenOr[Optional[RateLimitSetting]] = NOT_GIVEN,
    ) -> Workspace:
        """Renames a workspace or sets its limits; the fields not given stay as they are, and ``None``
        returns a limit to the deployment's default."""
        body = _given({"name": name, "rate_limit": rate_limit, "workspace_rate_limit": workspace_rate_limit})
        return cast(Workspace, self._transport.request("PATCH", f"/api/v1/maas/workspaces/{_quote(workspace_id)}", body=body))

    def list_page(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Workspace]:
        """One page of workspaces (``limit`` 1–1000, default 100); ``total`` counts them all."""
        response = self._transport.request("GET", "/api/v1/maas/workspaces", query={"limit": limit, "cursor": cursor})
        return Page(response.get("workspaces", []), response.get("next_cursor"), response.get("count"))

    def list(self, *, limit: Optional[int] = None) -> Iterator[Workspace]:
        """Every workspace, across pages."""
        return _walk(lambda cursor: self.list_page(limit=limit, cursor=cursor))


class Members:
    """The people of a workspace (``/api/v1/maas/workspaces/{id}/members``). Results are the API's JSON.

    Each method takes ``workspace_id``; without it, the client's ``workspace_id``, else the API key's own
    workspace. Adding, changing and removing members takes an owner's session or the admin token; an API
    key or a plain member gets ``PermissionDeniedError`` (``auth_forbidden``)."""

    def __init__(self, transport: Transport, default_workspace: Callable[[], str]) -> None:
        self._transport = transport
        self._default_workspace = default_workspace

    def _path(self, workspace_id: Optional[str], profile_id: Optional[str] = None) -> str:
        path = f"/api/v1/maas/workspaces/{_quote(workspace_id or self._default_workspace())}/members"
        return path if profile_id is None else f"{path}/{_quote(profile_id)}"

    def list_page(self, *, workspace_id: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Member]:
        """One page of members, oldest membership first (``limit`` 1–100, default 50)."""
        response = self._transport.request("GET", self._path(workspace_id), query={"limit": limit, "cursor": cursor})
        return Page(response.get("members", []), response.get("next_cursor"), None)

    def list(self, *, workspace_id: Optional[str] = None, limit: Optional[int] = None) -> Iterator[Member]:
        """Every member, across pages (``limit`` is the page size)."""
        return _walk(lambda cursor: self.list_page(workspace_id=workspace_id, limit=limit, cursor=cursor))

    def add(self, email: str, *, role: Role, name: Optional[str] = None, workspace_id: Optional[str] = None) -> AddedMember:
        """Adds a person by email with ``role`` ``"owner"`` or ``"member"``. When the server has no single
        sign-on provider, ``sign_in_url`` is their single-use sign-in link, valid for 15 minutes. An email
        already a member is a ``ConflictError``."""
        body = _drop_none({"email": email, "name": name, "role": role})
        return cast(AddedMember, self._transport.request("POST", self._path(workspace_id), body=body))

    def update(self, profile_id: str, *, role: Role, workspace_id: Optional[str] = None) -> Member:
        """Changes a member's role; demoting the last owner is a ``ConflictError``."""
        return cast(Member, self._transport.request("PATCH", self._path(workspace_id, profile_id), body={"role": role}))

    def remove(self, profile_id: str, *, workspace_id: Optional[str] = None) -> None:
        """Removes a member and ends their sessions; removing the last owner is a ``ConflictError``."""
        self._transport.request("DELETE", self._path(workspace_id, profile_id))


class Cadreen:
    """The Cadreen API client.

    ``api_key`` and ``base_url`` default to ``CADREEN_API_KEY`` and ``CADREEN_BASE_URL``;
    ``timeout`` is per attempt, in seconds; ``max_retries`` applies to 429, 503 and safe network
    failures. With the admin token, ``workspace_id`` names the workspace ``api_keys`` and
    ``audit_events`` (and, by default, ``members``) act on.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        workspace_id: Optional[str] = None,
    ) -> None:
        api_key = api_key or os.environ.get("CADREEN_API_KEY")
        if not api_key:
            raise ConfigurationError(
                "no API key: pass api_key=... or set the CADREEN_API_KEY environment variable",
                code="configuration_error",
            )
        self.base_url = base_url or os.environ.get("CADREEN_BASE_URL") or DEFAULT_BASE_URL
        self._transport = Transport(
            api_key=api_key,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=max_retries,
            workspace_id=workspace_id,
        )
        self.api_keys = APIKeys(self._transport)
        self.workspaces = Workspaces(self._transport)
        self.audit_events = AuditEvents(self._transport)
        self.members = Members(self._transport, self._workspace)
        self._own_workspace_id: Optional[str] = None

    def _workspace(self) -> str:
        """The workspace named at construction, else the API key's own (asked of the server once)."""
        if self._transport.workspace_id:
            return self._transport.workspace_id
        if self._own_workspace_id is None:
            own = self.health().get("workspace_id")
            if not own:
                raise ConfigurationError(
                    "no workspace: pass workspace_id=... to the call or to Cadreen()", code="configuration_error"
                )
            self._own_workspace_id = own
        return self._own_workspace_id

    def me(self) -> Me:
        """Who the client's credential is: ``{"profile", "memberships"}`` (no profile for the admin token)."""
        return cast(Me, self._transport.request("GET", "/api/v1/maas/me"))

    def health(self) -> Health:
        """Which workspace and key the client's key is."""
        return cast(Health, self._transport.request("GET", "/api/v1/cadreen/health"))

    def verify(self, key: str) -> Verification:
        """Verifies another key, for services that put Cadreen in front of their own API."""
        return cast(Verification, self._transport.request("POST", "/api/v1/cadreen/keys/verify", body={"key": key}))
