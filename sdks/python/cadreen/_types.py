"""The shapes of the API's answers, as ``TypedDict``s, and the ``NOT_GIVEN`` sentinel of ``update`` calls.

Results are plain dicts at run time; these types tell a type checker (and a reader) which keys they
have. Keys marked optional are left out of the answer when they have no value; ``Optional[...]`` keys
are always present and may be ``None``. Keys use the API's own spelling: camelCase in the resource
dialect (``/v1/api_keys``, ``/v1/audit_events``), snake_case in the Cadreen dialect (workspaces,
members, ``me``, health, verify). Timestamps are RFC 3339 strings.
"""

from typing import Dict, List, Literal, Optional, TypedDict, TypeVar, Union, final

__all__ = [
    "NOT_GIVEN",
    "NotGiven",
    "NotGivenOr",
    "KeyState",
    "KeyStatus",
    "ProfileType",
    "Role",
    "AuditEventType",
    "RateLimitSource",
    "APIKey",
    "IssuedAPIKey",
    "APIKeyMetadata",
    "APIKeySpec",
    "IssuedAPIKeySpec",
    "APIKeyStatus",
    "APIKeyInfo",
    "Profile",
    "ProfileMetadata",
    "ProfileSpec",
    "AuditEvent",
    "AuditActor",
    "Health",
    "Verification",
    "RateLimitStatus",
    "Workspace",
    "EffectiveRateLimit",
    "RateLimitSetting",
    "AccountProfile",
    "Member",
    "AddedMember",
    "Membership",
    "Me",
]


@final
class NotGiven:
    """The type of ``NOT_GIVEN``: "leave this field as it is", as opposed to ``None``, "clear it".

    ``client.api_keys.update(key_id, description=None)`` clears the description;
    ``client.api_keys.update(key_id, name="x")`` leaves it, because ``description`` defaults to
    ``NOT_GIVEN``. It is falsy, so ``if value:`` treats it like ``None``."""

    _instance: Optional["NotGiven"] = None

    def __new__(cls) -> "NotGiven":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __copy__(self) -> "NotGiven":
        return self

    def __deepcopy__(self, memo: object) -> "NotGiven":
        return self

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()
"""Leave the field as it is (the default of every field of an ``update`` call)."""

_T = TypeVar("_T")
NotGivenOr = Union[_T, NotGiven]
"""``NotGivenOr[str]``: a string, or ``NOT_GIVEN``."""


KeyState = Literal["ACTIVE", "ROTATING", "REVOKED", "EXPIRED"]
"""A key's state in the resource dialect (``status.state``)."""
KeyStatus = Literal["active", "rotating", "revoked", "expired"]
"""A key's status in the Cadreen dialect (the verify answer's ``status``)."""
ProfileType = Literal["PROFILE_TYPE_USER", "PROFILE_TYPE_API_KEY", "PROFILE_TYPE_SYSTEM"]
Role = Literal["owner", "member"]
AuditEventType = Literal[
    "key.created",
    "key.updated",
    "key.rotated",
    "key.revoked",
    "auth.refused",
    "workspace.created",
    "workspace.updated",
    "member.added",
    "member.updated",
    "member.removed",
    "session.created",
    "session.ended",
]
RateLimitSource = Literal["workspace", "default"]
"""Where a limit in force comes from: set on the workspace, or the deployment's default."""


# Keys (the resource dialect, /v1/api_keys).


class _APIKeyMetadataRequired(TypedDict):
    id: str
    accountId: str
    createdAt: str
    name: str
    # The profile that created the key.
    profileId: str
    workspaceId: str


class APIKeyMetadata(_APIKeyMetadataRequired, total=False):
    """Who the key is and where it belongs."""

    externalId: str
    labels: Dict[str, str]


class APIKeySpec(TypedDict, total=False):
    """A key's description; ``token`` only in the answers to create and rotate (see ``IssuedAPIKey``)."""

    token: str
    description: str


class _IssuedAPIKeySpecRequired(TypedDict):
    # The key itself: in this answer only, never again.
    token: str


class IssuedAPIKeySpec(_IssuedAPIKeySpecRequired, total=False):
    description: str


class _APIKeyStatusRequired(TypedDict):
    state: KeyState
    # The key's prefix and first characters, for display.
    start: str


class APIKeyStatus(_APIKeyStatusRequired, total=False):
    """A key's state and times."""

    lastUsedAt: str
    expiresAt: str
    rotatedFrom: str
    rotatedTo: str
    graceUntil: str
    revokedAt: str


class _ProfileMetadataRequired(TypedDict):
    id: str
    accountId: str
    name: str
    profileId: str


class ProfileMetadata(_ProfileMetadataRequired, total=False):
    externalId: str
    labels: Dict[str, str]


class _ProfileSpecRequired(TypedDict):
    type: ProfileType


class ProfileSpec(_ProfileSpecRequired, total=False):
    email: str
    name: str


class Profile(TypedDict):
    """The actor that created a key (``info.createdBy``): a person, an API key or the service itself."""

    metadata: ProfileMetadata
    spec: ProfileSpec


class APIKeyInfo(TypedDict, total=False):
    createdBy: Profile


class _APIKeyRequired(TypedDict):
    metadata: APIKeyMetadata
    spec: APIKeySpec
    status: APIKeyStatus


class APIKey(_APIKeyRequired, total=False):
    """A key as ``get``, ``list``, ``update`` and ``revoke`` return it (no token)."""

    # Only with ``include_info=True``.
    info: APIKeyInfo


class _IssuedAPIKeyRequired(TypedDict):
    metadata: APIKeyMetadata
    spec: IssuedAPIKeySpec
    status: APIKeyStatus


class IssuedAPIKey(_IssuedAPIKeyRequired, total=False):
    """A key as ``create`` and ``rotate`` return it: ``spec["token"]`` is the plaintext, shown once."""

    info: APIKeyInfo


# Audit events (the resource dialect, /v1/audit_events).


class _AuditActorRequired(TypedDict):
    profileId: str


class AuditActor(_AuditActorRequired, total=False):
    """Who acted (or whom a ``member.*`` event is about), in words where the profile has them."""

    type: str
    name: str
    email: str


class _AuditEventRequired(TypedDict):
    id: str
    type: AuditEventType
    createdAt: str


class AuditEvent(_AuditEventRequired, total=False):
    """One entry of a workspace's audit log."""

    actor: AuditActor
    # On ``member.*`` events: the person added, changed or removed.
    member: AuditActor
    actorProfileId: str
    keyId: str
    # On ``auth.refused``: the refusal's error code.
    code: str
    ip: str


# The Cadreen dialect: health and verify.


class Health(TypedDict):
    """Which workspace and key the client's key is (both ``None`` for the admin token)."""

    status: Literal["ok"]
    workspace_id: Optional[str]
    key_id: Optional[str]


class RateLimitStatus(TypedDict):
    """The window of a key's limits closest to exhaustion."""

    limit: int
    remaining: int
    # Whole seconds until the window resets.
    reset: int


class _VerificationRequired(TypedDict):
    valid: bool


class Verification(_VerificationRequired, total=False):
    """The answer of ``Cadreen.verify`` and ``Verifier.verify``: ``valid`` with the key's workspace, id,
    status and rate limit, or not ``valid`` with ``code``."""

    code: str
    workspace_id: str
    key_id: str
    status: KeyStatus
    ratelimit: RateLimitStatus
    expires_at: Optional[str]
    grace_until: Optional[str]
    # ``Verifier`` only: whole seconds until a ``rate_limited`` key may try again.
    retry_after: int


# Workspaces.


class EffectiveRateLimit(TypedDict):
    """A limit in force: at most ``limit`` requests per ``window_seconds``, and where it comes from."""

    limit: int
    window_seconds: int
    source: RateLimitSource


class RateLimitSetting(TypedDict):
    """A limit to set on a workspace: at most ``limit`` requests per ``window_seconds``."""

    limit: int
    window_seconds: int


class Workspace(TypedDict):
    id: str
    account_id: str
    name: str
    created_at: str
    # The limit of each key.
    rate_limit: EffectiveRateLimit
    # The budget all keys of the workspace share together.
    workspace_rate_limit: EffectiveRateLimit


# People.


class AccountProfile(TypedDict):
    """An actor of an account as the people API shows it."""

    id: str
    account_id: str
    type: ProfileType
    name: Optional[str]
    email: Optional[str]
    created_at: str


class Member(TypedDict):
    """A profile's membership of a workspace."""

    profile: AccountProfile
    workspace_id: str
    role: Role
    created_at: str


class AddedMember(Member, total=False):
    # A single-use sign-in link, valid 15 minutes; only when the server has no single sign-on.
    sign_in_url: str


class Membership(TypedDict):
    workspace_id: str
    workspace_name: str
    role: Role


class Me(TypedDict):
    """Who the client's credential is; the admin token has no profile and no memberships."""

    profile: Optional[AccountProfile]
    memberships: List[Membership]
