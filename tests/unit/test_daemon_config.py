"""engine.yml for ``mysqlha run``: every bad field named at once, secrets from env or file, never shown."""
from __future__ import annotations

import pytest
import yaml

from ansible_collections.dbaops.mysql_ha.engine.daemon.config import load_config
from ansible_collections.dbaops.mysql_ha.engine.daemon.monitor import in_shard
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

SECRET = "pässwörd-Ω-42"


def write(tmp_path, config) -> str:
    path = tmp_path / "engine.yml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config, allow_unicode=True))
    return str(path)


def base(**changes):
    config = {"interval": "1s", "clusters": [{"name": "prod", "members": ["10.0.0.1:3306", "db2"], "user": "monitor",
                                              "password_env": "DB_PW"}],
              "channels": {"ops": {"type": "webhook", "url": "https://hooks.example/x", "secret_env": "HOOK"}},
              "sla": {"P0": {"channels": ["ops"]}}}
    config.update(changes)
    return config


def test_a_good_config_resolves_secrets_and_members(tmp_path):
    config = load_config(write(tmp_path, base()), env={"DB_PW": SECRET, "HOOK": "h"})
    cluster = config.clusters[0]
    assert [p.address for p in cluster.members] == ["10.0.0.1:3306", "db2:3306"]
    assert cluster.members[0].password == SECRET and SECRET not in repr(cluster.members[0])
    assert config.interval == 1.0 and config.listen == ("127.0.0.1", 9105)
    assert config.state_dir == str(tmp_path / "state")
    # No option file of whoever runs the daemon is read by surprise.
    assert cluster.members[0].config_file == "/dev/null"


def test_every_problem_is_named_at_once_and_no_secret_is_shown(tmp_path):
    config = base(interval="fast", extra=1,
                  channels={"ops": {"type": "pager", "url": "x"}, "hook": {"type": "webhook", "url_env": "MISSING"}},
                  clusters=[{"name": "prod", "members": ["10.0.0.1:99999"], "password": SECRET},
                            {"name": "prod", "members": []}])
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, config), env={})
    text = str(caught.value)
    for expected in ("interval: expected a duration", "extra: unknown field", "channels.ops.type: unknown channel type 'pager'",
                     "channels.hook.url_env: environment variable MISSING is not set", "clusters[0].members[0]",
                     "clusters[1].members: expected a non-empty list"):
        assert expected in text, (expected, text)
    assert SECRET not in text


def test_a_missing_password_variable_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"clusters\[0\]\.password_env: environment variable DB_PW is not set"):
        load_config(write(tmp_path, base()), env={"HOOK": "h"})


def test_a_password_file_is_read_and_a_tier_naming_an_unknown_channel_is_refused(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(SECRET + "\n")
    config = base(sla={"P0": {"channels": ["nowhere"]}})
    config["clusters"][0].pop("password_env")
    config["clusters"][0]["password_file"] = str(secret)
    with pytest.raises(ConfigError, match="channel 'nowhere' is not defined"):
        load_config(write(tmp_path, config), env={"HOOK": "h"})
    config["sla"] = {}
    assert load_config(write(tmp_path, config), env={"HOOK": "h"}).clusters[0].members[0].password == SECRET


def test_targets_from_an_ansible_inventory_one_group_per_cluster(tmp_path):
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {
        "prod_main": {"vars": {"mysql_port": 3307, "mysqlha_user": "monitor", "mysqlha_password_env": "DB_PW"},
                      "hosts": {"db1": {"ansible_host": "10.0.1.10"}, "db2": None}}}}}))
    config = load_config(write(tmp_path, {"inventory": "hosts.yml"}), env={"DB_PW": SECRET})
    assert [(c.name, [p.address for p in c.members]) for c in config.clusters] == [
        ("prod_main", ["10.0.1.10:3307", "db2:3307"])]
    assert config.clusters[0].members[0].user == "monitor"


@pytest.mark.parametrize("text", ["a: [", "- just\n- a list\n", "&a [*a, *a]", ""])
def test_a_config_that_is_not_a_mapping_is_an_error_naming_the_file(tmp_path, text):
    with pytest.raises(ConfigError, match="engine.yml"):
        load_config(write(tmp_path, text), env={})


def test_shards_split_the_clusters_stably_and_completely():
    names = [f"cluster-{i}" for i in range(300)]
    owners = [[i for i in range(3) if in_shard(name, (i, 3))] for name in names]
    assert all(len(found) == 1 for found in owners)
    counts = [sum(1 for found in owners if found == [i]) for i in range(3)]
    assert min(counts) > 60, counts
    assert owners == [[i for i in range(3) if in_shard(name, (i, 3))] for name in names]   # stable
    assert in_shard("anything", None)


def test_run_leaves_out_a_bad_channel_or_cluster_names_it_and_watches_the_rest(tmp_path):
    config = base(channels={"ops": {"type": "webhook", "url": "https://hooks.example/x"},
                            "pager": {"type": "pagerduty"}, "chat": {"type": "slack", "url_env": "NOT_SET"}},
                  sla={"P0": {"channels": ["ops", "pager", "chat"]}})
    config["clusters"].append({"name": "broken", "members": ["db:notaport"]})
    path = write(tmp_path, config)
    with pytest.raises(ConfigError, match="pagerduty"):
        load_config(path, env={"DB_PW": SECRET})                     # --check is strict
    loaded = load_config(path, env={"DB_PW": SECRET}, strict=False)
    assert [c.name for c in loaded.clusters] == ["prod"] and set(loaded.channels) == {"ops"}
    assert loaded.broken_channels == ["chat", "pager"]
    text = " ".join(loaded.degraded)
    assert "channels.pager.type: unknown channel type 'pagerduty'" in text
    assert "channels.chat.url_env: environment variable NOT_SET is not set" in text
    assert "clusters[1].members[0]" in text
    assert loaded.tiers["P0"].channels == ("ops", "pager", "chat")   # their notifications wait in the outbox


def test_run_still_refuses_a_config_with_nothing_it_can_watch(tmp_path):
    config = base(clusters=[{"name": "broken", "members": ["db:notaport"]}])
    with pytest.raises(ConfigError, match="not one of them can be watched"):
        load_config(write(tmp_path, config), env={"HOOK": "h"}, strict=False)


@pytest.mark.parametrize("changes, says", [
    ({"http": {"listen": "127.0.0.1:9105", "token_enb": "X"}}, "http.token_enb: unknown field"),
    ({"http": [1, 2]}, "http: expected a mapping"),
    ({"sla": [1]}, "sla: expected a mapping"),
    ({"sla": {"P0": {"channels": 5}}}, "sla.P0.channels: expected a list"),
    ({"business_hours": {"days": 5, "utc_offset": "+99:99"}}, "business_hours.utc_offset"),
    ({"channels": {"x": {"type": ["webhook"]}}}, "channels.x.type: unknown channel type"),
    ({"max_workers": [1]}, "max_workers: unknown field"),
    ({"clusters": [{"name": "p", "members": [None]}]}, r"clusters\[0\]\.members\[0\]: expected host:port"),
])
def test_fields_of_the_wrong_shape_are_named_never_a_traceback(tmp_path, changes, says):
    with pytest.raises(ConfigError, match=says):
        load_config(write(tmp_path, base(**changes)), env={"DB_PW": SECRET, "HOOK": "h"})


def test_a_nul_byte_and_a_hostile_inventory_are_named(tmp_path):
    (tmp_path / "engine.yml").write_bytes(b"interval: 1s\x00\n")
    with pytest.raises(ConfigError, match="YAML error"):
        load_config(str(tmp_path / "engine.yml"), env={})
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"vars": [1], "hosts": {"a": None}}}))
    with pytest.raises(ConfigError, match="all.vars is not a mapping"):
        load_config(write(tmp_path, {"inventory": "hosts.yml"}), env={})


def test_the_state_file_is_ours_a_regular_file_never_a_symlink(tmp_path):
    import os

    from ansible_collections.dbaops.mysql_ha.engine.daemon.service import prepare_state

    state = tmp_path / "state"
    path = prepare_state(str(state))
    assert os.stat(path).st_mode & 0o777 == 0o600
    os.chmod(path, 0o644)
    prepare_state(str(state))
    assert os.stat(path).st_mode & 0o777 == 0o600
    os.unlink(path)
    outside = tmp_path / "outside.db"
    os.symlink(outside, path)
    with pytest.raises(ConfigError, match="a symlink"):
        prepare_state(str(state))
    assert not outside.exists()
    os.unlink(path)
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        prepare_state(str(state))
