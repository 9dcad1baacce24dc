"""Project owners and members (issue 15): kept in the store, so every server of a team
answers "who may see or manage this project?" the same way, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from jupyterlab_dotscience.store import open_store

from .records import record


def test_a_project_created_has_its_creator_as_only_owner(store):
    # Given an empty store
    # When alice creates project iris (twice)
    project, created = store.create_project("iris", "alice")
    again, created_again = store.create_project("iris", "bob")
    # Then she is its only owner; the second create changed nothing
    assert created and not created_again
    assert again["created"] == project["created"]
    assert [(m["username"], m["role"]) for m in store.project_members("iris")] == [
        ("alice", "owner")
    ]
    assert store.project_roles("alice") == {"iris": "owner"}
    assert store.project_roles("bob") == {}
    assert store.project_members("nope") is None


def test_the_first_publisher_claims_a_project_others_are_refused(store):
    # Given a project nobody owns yet
    # When alice claims it for a publish, then bob tries
    assert store.claim_project("iris", "alice") == "owner"
    assert store.claim_project("iris", "bob") is None
    # Then alice owns it and bob is not a member; once added, bob's claim is his role
    store.set_project_member("iris", "bob", "member", "alice")
    assert store.claim_project("iris", "bob") == "member"
    assert store.project_roles("bob") == {"iris": "member"}


def test_membership_changes_keep_an_owner(store):
    # Given iris, owned by alice, with bob as member
    store.create_project("iris", "alice")
    store.set_project_member("iris", "bob", "member", "alice")
    # When alice tries to leave or step down as the last owner
    with pytest.raises(ValueError, match="last owner"):
        store.remove_project_member("iris", "alice")
    with pytest.raises(ValueError, match="last owner"):
        store.set_project_member("iris", "alice", "member", "alice")
    # Then nothing changed; after bob is made owner, alice may leave
    assert store.project_roles("alice") == {"iris": "owner"}
    member = store.set_project_member("iris", "bob", "owner", "alice")
    assert member["role"] == "owner" and member["added_by"] == "alice"
    assert store.remove_project_member("iris", "alice") is True
    assert store.remove_project_member("iris", "alice") is False
    assert [m["username"] for m in store.project_members("iris")] == ["bob"]


def test_membership_of_a_missing_project_is_a_key_error(store):
    # Given no project "ghost"
    # When someone adds or removes a member of it
    # Then KeyError, and no project is created by the attempt
    with pytest.raises(KeyError):
        store.set_project_member("ghost", "bob", "member", "alice")
    with pytest.raises(KeyError):
        store.remove_project_member("ghost", "bob")
    assert store.project_members("ghost") is None
    # and an unknown role is refused
    store.create_project("iris", "alice")
    with pytest.raises(ValueError, match="role"):
        store.set_project_member("iris", "bob", "admin", "alice")
    assert store.project_roles("bob") == {}


def test_concurrent_claims_make_one_owner(store_url):
    # Given eight servers' stores sharing one database and a project nobody owns
    stores = [open_store(store_url) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    roles: dict[str, str | None] = {}

    def claim(i, s):
        barrier.wait()
        roles[f"user{i}"] = s.claim_project("shared", f"user{i}")

    # When each claims it at the same moment for a different user
    threads = [threading.Thread(target=claim, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one became its owner, the others are refused
    try:
        assert sorted(r for r in roles.values() if r) == ["owner"]
        assert len(stores[0].project_members("shared")) == 1
    finally:
        for s in stores:
            s.close()


def test_migration_makes_authors_of_existing_runs_owners(store):
    # Given runs stored by alice in iris and default, and by bob in iris and wine
    store.put_run(record(project="iris"), author="alice")
    store.put_run(record(project="default"), author="alice")
    store.put_run(record(project="iris"), author="bob")
    store.put_run(record(project="wine"), author="bob")
    # When the membership migration's statement runs over them (as on an upgraded store)
    with store._tx(write=True) as tx:
        tx.x("DELETE FROM project_members")
        from jupyterlab_dotscience.store.schema import statements

        tx.x(statements(8, store.dialect)[-1])
    # Then each author owns the projects they published to (default, everyone's, has none)
    assert store.project_roles("alice") == {"iris": "owner"}
    assert store.project_roles("bob") == {"iris": "owner", "wine": "owner"}
