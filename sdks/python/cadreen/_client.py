"""The Cadreen client: ``Cadreen(api_key=...)`` with ``api_keys``, ``workspaces`` and ``members``."""

from __future__ import annotations

import os
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, Optional

from ._errors import ConfigurationError
from ._transport import Transport

JSON = Dict[str, Any]
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _drop_none(values: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _key_body(
    name: Optional[str],
    description: Optional[str],
    labels: Optional[Dict[str, str]],
    external_id: Optional[str],
    expires_at: Optional[str],
) -> JSON:
    """The resource dialect's ``{metadata, spec}`` body, without the fields left out."""
    return {
        "metadata": _drop_none({"name": name, "labels": labels, "externalId": external_id}),
        "spec": _drop_none({"description": description, "expiresAt": expires_at}),
    }


class Page:
    """One page of a list: ``items``, ``total`` and the cursor to the next page, if any."""

    def __init__(self, items: List[JSON], next_cursor: Optional[str], total: Optional[int]) -> None:
        self.items = items
        self.next_cursor = next_cursor
        self.total = total

    def __iter__(self) -> Iterator[JSON]:
        return iter(self.items)


def _walk(fetch: Callable[[Optional[str]], Page], cursor: Optional[str] = None) -> Iterator[JSON]:
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
        expires_at: Optional[str] = None,
    ) -> JSON:
        """Creates a key; ``key["spec"]["token"]`` is the plaintext, in this response only."""
        body = _key_body(name, description, labels, external_id, expires_at)
        return self._transport.request("POST", "/v1/api_keys", body=body)

    def list_page(
        self,
        *,
        limit: Optional[int] = None,
        prefix: Optional[str] = None,
        sort_order: Optional[str] = None,
        include_info: bool = False,
        cursor: Optional[str] = None,
    ) -> Page:
        """One page of keys, newest first unless ``sort_order="asc"``."""
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
    ) -> Iterator[JSON]:
        """Every key, across pages (``limit`` is the page size)."""
        return _walk(
            lambda cursor: self.list_page(
                limit=limit, prefix=prefix, sort_order=sort_order, include_info=include_info, cursor=cursor
            )
        )

    def get(self, key_id: str, *, include_info: bool = False) -> JSON:
        return self._transport.request(
            "GET", f"/v1/api_keys/{_quote(key_id)}", query={"includeInfo": True if include_info else None}
        )

    def update(
        self,
        key_id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        labels: Optional[Dict[str, str]] = None,
        external_id: Optional[str] = None,
        expires_at: Optional[str] = None,
    ) -> JSON:
        """Changes the fields given; the others stay as they are."""
        body = _key_body(name, description, labels, external_id, expires_at)
        return self._transport.request("PATCH", f"/v1/api_keys/{_quote(key_id)}", body=body)

    def rotate(self, key_id: str, *, grace_period_seconds: Optional[int] = None) -> JSON:
        """Replaces an active key; the new key's ``spec.token`` is in this response only."""
        body = _drop_none({"gracePeriodSeconds": grace_period_seconds})
        return self._transport.request("POST", f"/v1/api_keys/{_quote(key_id)}/rotate", body=body)

    def revoke(self, key_id: str) -> JSON:
        """Revokes a key (idempotent) and returns it."""
        return self._transport.request("DELETE", f"/v1/api_keys/{_quote(key_id)}")


class Workspaces:
    """Workspaces, for the admin token."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(self, name: str, *, account_id: Optional[str] = None) -> JSON:
        return self._transport.request("POST", "/api/v1/maas/workspaces", body=_drop_none({"name": name, "account_id": account_id}))

    def list_page(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page:
        response = self._transport.request("GET", "/api/v1/maas/workspaces", query={"limit": limit, "cursor": cursor})
        return Page(response.get("workspaces", []), response.get("next_cursor"), response.get("count"))

    def list(self, *, limit: Optional[int] = None) -> Iterator[JSON]:
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

    def list_page(self, *, workspace_id: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page:
        """One page of members, oldest membership first (``limit`` 1–100, default 50)."""
        response = self._transport.request("GET", self._path(workspace_id), query={"limit": limit, "cursor": cursor})
        return Page(response.get("members", []), response.get("next_cursor"), None)

    def list(self, *, workspace_id: Optional[str] = None, limit: Optional[int] = None) -> Iterator[JSON]:
        """Every member, across pages (``limit`` is the page size)."""
        return _walk(lambda cursor: self.list_page(workspace_id=workspace_id, limit=limit, cursor=cursor))

    def add(self, email: str, *, role: str, name: Optional[str] = None, workspace_id: Optional[str] = None) -> JSON:
        """Adds a person by email with ``role`` ``"owner"`` or ``"member"``. When the server has no single
        sign-on provider, ``sign_in_url`` is their single-use sign-in link, valid for 15 minutes. An email
        already a member is a ``ConflictError``."""
        body = _drop_none({"email": email, "name": name, "role": role})
        return self._transport.request("POST", self._path(workspace_id), body=body)

    def update(self, profile_id: str, *, role: str, workspace_id: Optional[str] = None) -> JSON:
        """Changes a member's role; demoting the last owner is a ``ConflictError``."""
        return self._transport.request("PATCH", self._path(workspace_id, profile_id), body={"role": role})

    def remove(self, profile_id: str, *, workspace_id: Optional[str] = None) -> None:
        """Removes a member and ends their sessions; removing the last owner is a ``ConflictError``."""
        self._transport.request("DELETE", self._path(workspace_id, profile_id))


class Cadreen:
    """The Cadreen API client.

    ``api_key`` and ``base_url`` default to ``CADREEN_API_KEY`` and ``CADREEN_BASE_URL``;
    ``timeout`` is per attempt, in seconds; ``max_retries`` applies to 429, 503 and safe network
    failures. With the admin token, ``workspace_id`` names the workspace ``api_keys`` (and, by default,
    ``members``) acts on.
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
        self.members = Members(self._transport, self._workspace)
        self._own_workspace_id: Optional[str] = None

    def _workspace(self) -> str:
        """The workspace named at construction, else the API key's own (asked of the server once)."""
        if self._transport.workspace_id:
            return self._transport.workspace_id
        if self._own_workspace_id is None:
            self._own_workspace_id = self.health().get("workspace_id")
            if not self._own_workspace_id:
                raise ConfigurationError(
                    "no workspace: pass workspace_id=... to the call or to Cadreen()", code="configuration_error"
                )
        return self._own_workspace_id

    def me(self) -> JSON:
        """Who the client's credential is: ``{"profile", "memberships"}`` (no profile for the admin token)."""
        return self._transport.request("GET", "/api/v1/maas/me")

    def health(self) -> JSON:
        """Which workspace and key the client's key is."""
        return self._transport.request("GET", "/api/v1/cadreen/health")

    def verify(self, key: str) -> JSON:
        """Verifies another key, for services that put Cadreen in front of their own API."""
        return self._transport.request("POST", "/api/v1/cadreen/keys/verify", body={"key": key})
