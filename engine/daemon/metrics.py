"""``/metrics``: the gathered facts with mysqld_exporter-style names, and the engine's own health.

Everything is rendered at scrape time from the monitor's last snapshot (a custom collector),
so a member or a channel that went away leaves no stale series behind.  Labels: ``cluster``,
``instance`` (host:port), ``channel`` (a replication channel).  No password, no URL and no
alert text is ever a label or a value.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

if TYPE_CHECKING:
    from ansible_collections.dbaops.mysql_ha.engine.daemon.service import Service

_YES = {"yes": 1.0, "connecting": 0.0, "no": 0.0}


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


class FactsCollector:
    """prometheus_client collector over a running Service."""

    def __init__(self, service: Service):
        self.service = service

    def describe(self):
        return []

    def collect(self):
        yield from self._facts()
        yield from self._engine()

    def _facts(self):
        monitor = self.service.monitor
        up = _gauge("mysql_up", "1 when the member answered its last poll", ["cluster", "instance"])
        down = _gauge("mysqlha_member_unreachable", "1 for a member that did not answer, by how it failed "
                      "(refused, unreachable, hung, overloaded, auth, tls, lost, error, stale)", ["cluster", "instance", "reachability"])
        read_only = _gauge("mysql_global_variables_read_only", "read_only", ["cluster", "instance"])
        lag = _gauge("mysql_slave_status_seconds_behind_master", "Seconds_Behind_Master (absent when unknown)",
                     ["cluster", "instance", "channel"])
        io = _gauge("mysql_slave_status_slave_io_running", "1 when the IO thread runs", ["cluster", "instance", "channel"])
        sql = _gauge("mysql_slave_status_slave_sql_running", "1 when the SQL thread runs", ["cluster", "instance", "channel"])
        io_errno = _gauge("mysql_slave_status_last_io_errno", "Last_IO_Errno", ["cluster", "instance", "channel"])
        sql_errno = _gauge("mysql_slave_status_last_sql_errno", "Last_SQL_Errno", ["cluster", "instance", "channel"])
        collect = _gauge("mysqlha_collect_seconds", "the member's last poll, seconds", ["cluster", "instance"])
        verdict = _gauge("mysqlha_cluster_verdict", "1 for each code of the cluster analysis", ["cluster", "code"])
        size = _gauge("mysqlha_cluster_reachable_members", "members that answered", ["cluster"])
        behind = _gauge("mysqlha_replica_transactions_behind", "transactions the replica lacks from the primary",
                        ["cluster", "instance"])
        for name, pollers in monitor.pollers.items():
            for poller in pollers:
                if poller.latest is not None:
                    collect.add_metric([name, poller.address], poller.latest.seconds)
        for name, data in monitor.snapshot.get("clusters", {}).items():
            cluster = data.get("cluster") or {}
            for code in (cluster.get("analysis") or {}).get("codes") or ["ok"]:
                verdict.add_metric([name, code], 1.0)
            size.add_metric([name], float(cluster.get("reachable_count") or 0))
            for address, count in (cluster.get("transactions_behind") or {}).items():
                if isinstance(count, (int, float)):
                    behind.add_metric([name, address], float(count))
            for address, facts in (data.get("members") or {}).items():
                up.add_metric([name, address], 1.0 if facts.get("reachable") else 0.0)
                if not facts.get("reachable"):
                    down.add_metric([name, address, str(facts.get("reachability") or "error")], 1.0)
                    continue
                read_only.add_metric([name, address], 1.0 if facts.get("read_only") else 0.0)
                for channel in facts.get("channels") or ():
                    labels = [name, address, channel.get("name") or ""]
                    if isinstance(channel.get("seconds_behind_source"), (int, float)):
                        lag.add_metric(labels, float(channel["seconds_behind_source"]))
                    io.add_metric(labels, _YES.get(str(channel.get("io_running")), 0.0))
                    sql.add_metric(labels, 1.0 if channel.get("sql_running") else 0.0)
                    io_errno.add_metric(labels, float(channel.get("last_io_errno") or 0))
                    sql_errno.add_metric(labels, float(channel.get("last_sql_errno") or 0))
        yield from (up, down, read_only, lag, io, sql, io_errno, sql_errno, collect, verdict, size, behind)

    def _engine(self):
        service = self.service
        monitor = service.monitor
        cycle = _gauge("mysqlha_cycle_seconds", "the last cycle: analysis, rules, alert state, outbox", [])
        cycle.add_metric([], monitor.last_cycle_seconds)
        evaluation = _gauge("mysqlha_rule_evaluation_seconds", "the last rule evaluation", [])
        evaluation.add_metric([], monitor.last_eval_seconds)
        cycles = CounterMetricFamily("mysqlha_cycles", "cycles run (early ones included)", labels=["kind"])
        cycles.add_metric(["all"], monitor.cycles)
        cycles.add_metric(["early"], monitor.early_cycles)
        status = service.reloader.status
        rules = _gauge("mysqlha_rules_loaded", "rules in the live set", [])
        rules.add_metric([], float(status.get("rules") or 0))
        reload_ok = _gauge("mysqlha_rules_last_reload_ok", "0 while the last change to the rules was invalid", [])
        reload_ok.add_metric([], 0.0 if status.get("last_error") else 1.0)
        failures = CounterMetricFamily("mysqlha_rules_reload_failures", "invalid rule changes kept out", labels=[])
        failures.add_metric([], float(status.get("failures") or 0))
        overruns = CounterMetricFamily("mysqlha_rule_overruns", "passes a rule ran over its time cap", labels=["rule"])
        for rule_id, count in sorted(monitor.guard.overruns.items()):
            overruns.add_metric([rule_id], count)
        problems = _gauge("mysqlha_config_problems", "clusters or channels left out of engine.yml (see /healthz)", [])
        problems.add_metric([], float(len(service.config.degraded)))
        errors = _gauge("mysqlha_rule_errors", "rule errors in the last cycle", [])
        errors.add_metric([], float(len(monitor.rule_errors)))
        depth = _gauge("mysqlha_outbox_depth", "notifications not yet delivered", ["channel"])
        for channel, count in service.outbox.depth().items():
            depth.add_metric([channel], float(count))
        sent = CounterMetricFamily("mysqlha_notifications_sent", "notifications delivered", labels=["channel"])
        failed = CounterMetricFamily("mysqlha_notifications_failed", "failed delivery attempts (retried)", labels=["channel"])
        for channel in service.outbox.channels:
            sent.add_metric([channel], service.outbox.sent.get(channel, 0))
            failed.add_metric([channel], service.outbox.failed.get(channel, 0))
        alerts = _gauge("mysqlha_alerts", "alerts by state and severity", ["state", "severity"])
        for (state, severity), count in sorted(service.alert_counts().items()):
            alerts.add_metric([state, severity], float(count))
        yield from (cycle, evaluation, cycles, rules, reload_ok, failures, overruns, problems, errors, depth, sent, failed, alerts)


def render(service: Service) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FactsCollector(service))
    return generate_latest(registry)
