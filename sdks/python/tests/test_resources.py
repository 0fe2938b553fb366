"""The typed results, ``NOT_GIVEN`` updates, workspaces and the audit log, against a real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unittest
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import AbstractSet, Any, Dict, List, Literal, Optional, Tuple, Union, get_args, get_origin, get_type_hints

from support import SDK, SeededServer

import cadreen
from cadreen import NOT_GIVEN

NoneType = type(None)


def find_mypy() -> List[str]:
    """A command running mypy: this interpreter's, else the system Python's (Debian's python3-mypy)."""
    for python in dict.fromkeys([sys.executable, shutil.which("python3"), "/usr/bin/python3"]):
        if python and subprocess.run([python, "-c", "import mypy"], capture_output=True).returncode == 0:
            return [python, "-m", "mypy"]
    return []


MYPY = find_mypy()


def is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__required_keys__")


class SchemaMatch(unittest.TestCase):
    """Compares a ``TypedDict`` with a JSON Schema of the server's OpenAPI document, both ways."""

    def assert_describes(self, hint: Any, schema: Dict[str, Any], where: str, beyond: AbstractSet[str] = frozenset(), required_here: AbstractSet[str] = frozenset()) -> None:
        """``hint`` names exactly the schema's properties, with the same required ones, nullability, enums and
        types. ``beyond``: dotted paths the type declares that the server's schema does not (say, what only the
        Verifier adds); ``required_here``: optional in the schema, always present in this answer."""
        schema_nullable = False
        if "anyOf" in schema:
            parts = [part for part in schema["anyOf"] if part.get("type") != "null"]
            schema_nullable = len(parts) < len(schema["anyOf"])
            self.assertEqual(len(parts), 1, f"{where}: a union the types do not describe")
            schema = parts[0]
        kind = schema.get("type")
        if isinstance(kind, list):
            schema_nullable = schema_nullable or "null" in kind
            kind = next(k for k in kind if k != "null")

        hint_nullable = False
        if get_origin(hint) is Union:
            args = get_args(hint)
            hint_nullable = NoneType in args
            rest = [arg for arg in args if arg is not NoneType]
            self.assertEqual(len(rest), 1, f"{where}: {hint}")
            hint = rest[0]
        self.assertEqual(hint_nullable, schema_nullable, f"{where}: nullable in the types ({hint_nullable}) and in the server's schema ({schema_nullable})")

        if is_typeddict(hint):
            self.assertEqual(kind, "object", where)
            properties: Dict[str, Any] = schema.get("properties", {})
            required = set(schema.get("required", [])) | {name for name in properties if f"{where}.{name}" in required_here}
            extra = {name for name in (hint.__required_keys__ | hint.__optional_keys__) if f"{where}.{name}" in beyond}
            self.assertEqual(set(hint.__required_keys__), required, f"{where}: required keys")
            self.assertEqual(set(hint.__optional_keys__) - extra, set(properties) - required, f"{where}: optional keys")
            hints = get_type_hints(hint)
            for name, child in properties.items():
                self.assert_describes(hints[name], child, f"{where}.{name}", beyond, required_here)
        elif get_origin(hint) is Literal:
            self.assertEqual(kind, "string", where)
            values = schema["enum"] if "enum" in schema else [schema.get("const")]
            self.assertEqual(set(get_args(hint)), set(values), f"{where}: values")
        elif get_origin(hint) in (list, List):
            self.assertEqual(kind, "array", where)
            self.assert_describes(get_args(hint)[0], schema["items"], f"{where}[]", beyond, required_here)
        elif get_origin(hint) in (dict, Dict):
            self.assertEqual(kind, "object", where)
            self.assertNotIn("properties", schema, where)
        else:
            expected = {str: "string", int: "integer", bool: "boolean"}.get(hint)
            self.assertEqual(kind, expected, f"{where}: {hint}")
            self.assertFalse({"enum", "const"} & set(schema), f"{where}: the server lists its values; the type should too")


def response_schema(openapi: Dict[str, Any], method: str, path: str, status: int, *pointer: str) -> Dict[str, Any]:
    schema: Dict[str, Any] = openapi["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    for step in pointer:
        schema = schema["items"] if step == "[]" else schema["properties"][step]
    return schema


_seeded = SeededServer()
_server: Dict[str, Any] = {}


def setUpModule() -> None:
    _server.update(_seeded.__enter__())


def tearDownModule() -> None:
    _seeded.__exit__(None, None, None)


class ServerTest(SchemaMatch):
    """One seeded server for the whole module."""

    @property
    def server(self) -> Dict[str, Any]:
        return _server

    def owner(self) -> cadreen.Cadreen:
        return cadreen.Cadreen(api_key=self.server["owner_key"], base_url=self.server["base_url"])

    def admin(self, workspace_id: Optional[str] = None) -> cadreen.Cadreen:
        return cadreen.Cadreen(api_key=self.server["admin_token"], base_url=self.server["base_url"], workspace_id=workspace_id)


class TypesTest(ServerTest):
    def test_every_result_type_describes_what_the_server_answers(self) -> None:
        with urllib.request.urlopen(self.server["base_url"] + "/openapi.json", timeout=10) as response:
            openapi = json.loads(response.read())
        key, keys, event = "/v1/api_keys/{id}", "/v1/api_keys", "/v1/audit_events"
        workspace, members = "/api/v1/maas/workspaces/{workspace_id}", "/api/v1/maas/workspaces/{workspace_id}/members"
        token = {"IssuedAPIKey.spec.token"}
        cases: List[Tuple[Any, Dict[str, Any], AbstractSet[str], AbstractSet[str]]] = [
            (cadreen.APIKey, response_schema(openapi, "get", key, 200), set(), set()),
            (cadreen.APIKey, response_schema(openapi, "patch", key, 200), set(), set()),
            (cadreen.APIKey, response_schema(openapi, "delete", key, 200), set(), set()),
            (cadreen.APIKey, response_schema(openapi, "get", keys, 200, "items", "[]"), set(), set()),
            (cadreen.IssuedAPIKey, response_schema(openapi, "post", keys, 201), set(), token),
            (cadreen.IssuedAPIKey, response_schema(openapi, "post", key + "/rotate", 201), set(), token),
            (cadreen.AuditEvent, response_schema(openapi, "get", event, 200, "items", "[]"), set(), set()),
            (cadreen.Health, response_schema(openapi, "get", "/api/v1/cadreen/health", 200), set(), set()),
            (cadreen.Verification, response_schema(openapi, "post", "/api/v1/cadreen/keys/verify", 200), {"Verification.retry_after"}, set()),
            (cadreen.Workspace, response_schema(openapi, "post", "/api/v1/maas/workspaces", 201), set(), set()),
            (cadreen.Workspace, response_schema(openapi, "get", workspace, 200), set(), set()),
            (cadreen.Workspace, response_schema(openapi, "patch", workspace, 200), set(), set()),
            (cadreen.Workspace, response_schema(openapi, "get", "/api/v1/maas/workspaces", 200, "workspaces", "[]"), set(), set()),
            (cadreen.Member, response_schema(openapi, "get", members, 200, "members", "[]"), set(), set()),
            (cadreen.Member, response_schema(openapi, "patch", members + "/{profile_id}", 200), set(), set()),
            (cadreen.AddedMember, response_schema(openapi, "post", members, 201), set(), set()),
            (cadreen.Me, response_schema(openapi, "get", "/api/v1/maas/me", 200), set(), set()),
        ]
        patch_body = openapi["paths"][workspace]["patch"]["requestBody"]["content"]["application/json"]["schema"]
        cases.append((Optional[cadreen.RateLimitSetting], patch_body["properties"]["rate_limit"], set(), set()))
        for hint, schema, beyond, required_here in cases:
            name = getattr(hint, "__name__", "RateLimitSetting")
            with self.subTest(type=name):
                self.assert_describes(hint, schema, name, beyond, required_here)

    def test_the_client_methods_say_what_they_return(self) -> None:
        expected = {
            (cadreen.Cadreen, "health"): cadreen.Health,
            (cadreen.Cadreen, "verify"): cadreen.Verification,
            (cadreen.Cadreen, "me"): cadreen.Me,
            (cadreen.Verifier, "verify"): cadreen.Verification,
            (cadreen._client.APIKeys, "create"): cadreen.IssuedAPIKey,
            (cadreen._client.APIKeys, "rotate"): cadreen.IssuedAPIKey,
            (cadreen._client.APIKeys, "get"): cadreen.APIKey,
            (cadreen._client.APIKeys, "update"): cadreen.APIKey,
            (cadreen._client.APIKeys, "revoke"): cadreen.APIKey,
            (cadreen._client.APIKeys, "list_page"): cadreen.Page[cadreen.APIKey],
            (cadreen._client.AuditEvents, "list_page"): cadreen.Page[cadreen.AuditEvent],
            (cadreen._client.Workspaces, "get"): cadreen.Workspace,
            (cadreen._client.Workspaces, "list_page"): cadreen.Page[cadreen.Workspace],
            (cadreen._client.Members, "add"): cadreen.AddedMember,
            (cadreen._client.Members, "list_page"): cadreen.Page[cadreen.Member],
        }
        for (owner, method), returns in expected.items():
            with self.subTest(method=f"{owner.__name__}.{method}"):
                self.assertEqual(get_type_hints(getattr(owner, method))["return"], returns)

    # In CI a missing mypy is a failure, never a skip.
    @unittest.skipUnless(MYPY or os.environ.get("CI") == "true", "mypy is not installed (apt-get install python3-mypy)")
    def test_the_package_passes_a_strict_type_check(self) -> None:
        if not MYPY:
            self.fail("mypy is not installed (apt-get install python3-mypy)")
        result = subprocess.run(
            [*MYPY, "--strict", "--python-version", "3.9", "--no-incremental", "cadreen"],
            cwd=SDK, capture_output=True, text=True, timeout=300,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_everything_the_package_exports_exists(self) -> None:
        for name in cadreen.__all__:
            self.assertTrue(hasattr(cadreen, name), name)


class UpdateTest(ServerTest):
    def test_update_leaves_fields_not_given_and_clears_fields_given_as_none(self) -> None:
        client = self.owner()
        expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
        created = client.api_keys.create(
            "not-given", description="kept", labels={"team": "billing"}, external_id="ext-1", expires_at=expires
        )
        key_id = created["metadata"]["id"]
        self.assertEqual(datetime.fromisoformat(created["status"]["expiresAt"].replace("Z", "+00:00")), expires)

        renamed = client.api_keys.update(key_id, name="renamed")
        self.assertEqual(renamed["metadata"]["name"], "renamed")
        self.assertEqual(renamed["spec"].get("description"), "kept")
        self.assertEqual(renamed["metadata"].get("labels"), {"team": "billing"})
        self.assertEqual(renamed["metadata"].get("externalId"), "ext-1")
        self.assertIn("expiresAt", renamed["status"])

        cleared = client.api_keys.update(key_id, description=None, expires_at=None, external_id=None, labels=None)
        self.assertEqual(cleared["metadata"]["name"], "renamed")
        for section, field in (("spec", "description"), ("status", "expiresAt"), ("metadata", "externalId"), ("metadata", "labels")):
            self.assertNotIn(field, cleared[section], field)  # type: ignore[literal-required]
        fetched = client.api_keys.get(key_id)
        self.assertNotIn("description", fetched["spec"])
        self.assertNotIn("expiresAt", fetched["status"])

        unchanged = client.api_keys.update(key_id, description=NOT_GIVEN)
        self.assertEqual(unchanged["metadata"]["name"], "renamed")
        self.assertNotIn("description", unchanged["spec"])

    def test_a_name_cannot_be_cleared_and_the_refusal_changes_nothing(self) -> None:
        client = self.owner()
        key_id = client.api_keys.create("named", description="stays")["metadata"]["id"]
        with self.assertRaises(cadreen.InvalidRequestError) as raised:
            client.api_keys.update(key_id, name=None, description="changed")  # type: ignore[arg-type]
        self.assertEqual(raised.exception.code, "invalid_request")
        after = client.api_keys.get(key_id)
        self.assertEqual((after["metadata"]["name"], after["spec"].get("description")), ("named", "stays"))

    def test_a_time_without_a_zone_is_refused_before_anything_is_sent(self) -> None:
        client = self.owner()
        before = client.api_keys.list_page(prefix="naive-time").total
        with self.assertRaises(ValueError):
            client.api_keys.create("naive-time", expires_at=datetime(2030, 1, 1))
        self.assertEqual(client.api_keys.list_page(prefix="naive-time").total, before)


class WorkspacesTest(ServerTest):
    def test_get_and_update_set_and_clear_the_limits(self) -> None:
        admin = self.admin()
        created = admin.workspaces.create("limits", rate_limit={"limit": 100, "window_seconds": 60})
        workspace_id = created["id"]
        self.assertEqual(created["rate_limit"], {"limit": 100, "window_seconds": 60, "source": "workspace"})
        self.assertEqual(created["workspace_rate_limit"]["source"], "default")

        both = admin.workspaces.update(workspace_id, workspace_rate_limit={"limit": 500, "window_seconds": 60})
        self.assertEqual(both["name"], "limits")
        self.assertEqual(both["rate_limit"]["limit"], 100)
        self.assertEqual(both["workspace_rate_limit"], {"limit": 500, "window_seconds": 60, "source": "workspace"})

        renamed = admin.workspaces.update(workspace_id, name="renamed", rate_limit=None)
        self.assertEqual(renamed["name"], "renamed")
        self.assertEqual(renamed["rate_limit"]["source"], "default")
        self.assertEqual(renamed["workspace_rate_limit"]["limit"], 500)

        fetched = admin.workspaces.get(workspace_id)
        self.assertEqual(fetched, renamed)

    def test_a_key_gets_its_own_workspace_but_may_not_change_it(self) -> None:
        client = self.owner()
        own = client.workspaces.get(self.server["workspace_id"])
        self.assertEqual(own["id"], self.server["workspace_id"])
        with self.assertRaises(cadreen.PermissionDeniedError):
            client.workspaces.update(self.server["workspace_id"], name="mine now")
        self.assertEqual(client.workspaces.get(self.server["workspace_id"])["name"], own["name"])

    def test_pages_count_every_workspace(self) -> None:
        admin = self.admin()
        for i in range(3):
            admin.workspaces.create(f"paged {i}")
        page = admin.workspaces.list_page(limit=2)
        self.assertEqual(len(page.items), 2)
        self.assertIsNotNone(page.next_cursor)
        everything = list(admin.workspaces.list(limit=2))
        self.assertEqual(len(everything), page.total)
        self.assertEqual(len({w["id"] for w in everything}), len(everything))


class AuditEventsTest(ServerTest):
    def test_lists_the_workspaces_events_newest_first_across_pages_and_by_type(self) -> None:
        client = self.owner()
        made = [client.api_keys.create(f"audited-{i}")["metadata"]["id"] for i in range(3)]
        client.api_keys.revoke(made[0])

        everything = list(client.audit_events.list(limit=2))
        ids = [event["id"] for event in everything]
        self.assertEqual(len(ids), len(set(ids)), "no event twice across pages")
        ours = [event["createdAt"] for event in everything if event.get("keyId") in made]
        self.assertEqual(len(ours), 4)
        self.assertEqual(ours, sorted(ours, reverse=True), "newest first")
        self.assertEqual(everything[0]["type"], "key.revoked")
        self.assertEqual(everything[0].get("keyId"), made[0])

        first = client.audit_events.list_page(limit=2)
        self.assertEqual([event["id"] for event in first.items], ids[:2])
        self.assertIsNotNone(first.next_cursor)
        second = client.audit_events.list_page(limit=2, cursor=first.next_cursor)
        self.assertEqual([event["id"] for event in second.items], ids[2:4])

        created = list(client.audit_events.list(type="key.created"))
        self.assertTrue(all(event["type"] == "key.created" for event in created))
        self.assertEqual([event.get("keyId") for event in created if event.get("keyId") in made], list(reversed(made)))
        actor = created[0].get("actor")
        self.assertIsNotNone(actor)
        self.assertEqual(actor and actor["type"], "PROFILE_TYPE_API_KEY")

    def test_the_admin_token_reads_the_log_of_the_workspace_it_names(self) -> None:
        key_id = self.owner().api_keys.create("seen-by-admin")["metadata"]["id"]
        events = self.admin(self.server["workspace_id"]).audit_events.list_page(type="key.created", limit=500).items
        self.assertIn(key_id, [event.get("keyId") for event in events])

    def test_an_unknown_type_is_an_invalid_request(self) -> None:
        with self.assertRaises(cadreen.InvalidRequestError) as raised:
            self.owner().audit_events.list_page(type="key.exploded")  # type: ignore[arg-type]
        self.assertEqual(raised.exception.status, 400)


if __name__ == "__main__":
    unittest.main()
