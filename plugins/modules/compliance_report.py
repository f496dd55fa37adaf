#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compliance_report
short_description: Write a compliance audit report from security facts gathered in the play
version_added: 0.3.0
description:
  - Builds one report from the M(dbaops.mysql_ha.security_facts) results of a whole inventory (and, when given,
    M(dbaops.mysql_ha.replication_facts) or M(dbaops.mysql_ha.topology_facts) results, which add each host's
    cluster and role), and writes it in each of O(formats) to O(dest) on the controller.
  - The report lists every host x control with its status (pass, fail, unknown, skipped), severity, evidence,
    remediation and CIS MySQL 8.0 / CIS MariaDB 10.11 / dev-sec references; it is stamped with when the facts
    were collected, the server versions and the benchmarks cited. Password hashes and other secrets in evidence
    are masked.
  - A host whose security_facts task failed (registered with C(ignore_errors)) is listed as not assessed, never
    left out.
  - The same facts give byte-identical files, so a second run with the same facts reports no change.
  - Runs on the controller (an action plugin); it needs C(jsonschema) and C(PyYAML) there. C(mysqlha report) is
    the same report from the command line.
author:
  - dbaops team (@dbaops)
options:
  facts:
    description:
      - Registered results of the fact modules (a loop's result, a list of them, or their C(ansible_facts)).
    type: raw
    required: true
  dest:
    description: Directory on the controller to write the report files to. Created when missing.
    type: path
    required: true
  formats:
    description:
      - Formats to write; files are named O(basename) plus C(.html), C(.md), C(.csv), C(.json) and, for junit,
        C(.junit.xml).
    type: list
    elements: str
    choices: [html, md, csv, json, junit]
    default: [html, json, junit]
  basename:
    description: File name without suffix.
    type: str
    default: compliance
  previous:
    description:
      - An earlier report in JSON (C(formats) with C(json)) to compare with; the report then shows hosts added and
        removed and every control that changed status.
    type: path
  title:
    description: Report title.
    type: str
    default: MySQL/MariaDB compliance report
  cluster:
    description: Cluster name for hosts without replication or topology facts.
    type: str
    default: default
  fail_on:
    description:
      - Fail the task when a control this severe or worse fails, or a host could not be assessed. The files are
        written first.
    type: str
    choices: [critical, high, medium, low]
attributes:
  check_mode:
    support: full
    description: Reports which files would change and writes none.
  action:
    support: full
    description: Implemented as an action plugin running on the controller.
"""

EXAMPLES = r"""
- name: Security facts of every database host
  dbaops.mysql_ha.security_facts:
    login_user: auditor
    login_password: "{{ vault_auditor_password }}"
  register: security
  ignore_errors: true          # a host that cannot be read is reported as not assessed

- name: One report for the inventory
  dbaops.mysql_ha.compliance_report:
    facts: "{{ ansible_play_hosts_all | map('extract', hostvars, 'security') | list }}"
    dest: "{{ playbook_dir }}/reports"
    formats: [html, junit, csv]
    fail_on: critical
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: Format -> path of the file written (or that would be written in check mode).
  returned: always
  type: dict
summary:
  description:
    - Hosts, assessed hosts, hosts not assessed, checks, counts per status and failing checks per severity.
  returned: always
  type: dict
failing:
  description: C(instance control severity) of every failing control at O(fail_on) or worse.
  returned: when fail_on is set
  type: list
  elements: str
facts_errors:
  description: Fact documents that could not be used, each naming the document and why; nothing is written then.
  returned: always
  type: list
  elements: str
"""
