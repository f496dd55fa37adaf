#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rules_evaluate
short_description: Evaluate mysqlha rules against facts gathered in the play
version_added: 0.1.0
description:
  - Loads a rule directory (checked in one pass, as C(mysqlha check) does) and evaluates it against facts gathered
    earlier in the play by M(dbaops.mysql_ha.topology_facts), M(dbaops.mysql_ha.replication_facts) or
    M(dbaops.mysql_ha.security_facts); returns the alerts.
  - Runs on the controller (an action plugin); it needs C(simpleeval), C(jsonschema) and C(PyYAML) there.
  - With O(fail_on), the task fails when an alert of that severity or worse is firing, so an AWX job can fail on
    P1 findings. A rule with C(for) is pending, not firing, in a one-shot evaluation unless O(state_file) keeps the
    state between runs.
author:
  - dbaops team (@dbaops)
options:
  rules:
    description:
      - "Rule directories or files on the controller, layered in order (a string is one). V(@default) is the pack
        shipped with this collection; a later pack may replace a rule of an earlier one by id only with
        C(override: true) on the rule. Default, the shipped pack."
    type: list
    elements: str
  facts:
    description:
      - Registered results of the fact modules, or their C(ansible_facts), or a list of them. A C(topology_facts)
        result brings its own cluster analysis; other members are analysed together as O(cluster).
    type: raw
    required: true
  cluster:
    description: Cluster name for facts that carry no topology.
    type: str
    default: default
  fail_on:
    description: Fail when an alert this severe or worse (P0 is the most severe) is firing.
    type: str
    choices: [P0, P1, P2, P3]
  state_file:
    description:
      - SQLite file on the controller keeping the alert state between runs (made when missing, mode 0600), so a rule
        with C(for) is pending on one scheduled run and firing on a later one once its condition has held that long.
        Without it every run starts afresh and a rule with C(for) can only be pending (the task warns).
      - In check mode the file is read and left unchanged.
    type: path
  max_age:
    description:
      - Facts collected more than this many seconds ago (C(collection.collected_at)) count as a member that did not
        report (C(reachability=stale)), so a fact cache that kept a failed host's old facts still pages. 0 disables.
    type: int
    default: 900
attributes:
  check_mode:
    support: full
    description: Only reads.
  action:
    support: full
    description: Implemented as an action plugin running on the controller.
"""

EXAMPLES = r"""
- name: Analyse the cluster
  dbaops.mysql_ha.topology_facts:
    members: "{{ groups['prod_main'] | map('regex_replace', '$', ':3306') | list }}"
  register: topo
  delegate_to: localhost
  run_once: true

- name: Fail the job on P1 or worse
  dbaops.mysql_ha.rules_evaluate:
    rules: "{{ playbook_dir }}/rules"
    facts: "{{ topo }}"
    fail_on: P1
  run_once: true
"""

RETURN = r"""
alerts:
  description: Pending and firing alerts, as C(mysqlha eval --format json) prints them.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: Rule id.
      type: str
      returned: always
    severity:
      description: P0 to P3.
      type: str
      returned: always
    state:
      description: pending or firing.
      type: str
      returned: always
    instance:
      description: host:port the alert is about.
      type: str
      returned: always
    summary:
      description: The rule's summary with the facts filled in.
      type: str
      returned: always
rule_errors:
  description: Rules that could not be evaluated on a target, with the reason.
  returned: always
  type: list
  elements: str
counts:
  description: Firing alerts per severity.
  returned: always
  type: dict
facts_errors:
  description: Fact documents that could not be used, each naming the document and why; the task fails when any.
  returned: always
  type: list
  elements: str
rules_failing_everywhere:
  description: Ids of rules that errored on every target (they checked nothing); the task fails when any.
  returned: always
  type: list
  elements: str
"""
