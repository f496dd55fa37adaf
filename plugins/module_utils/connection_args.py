# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec every module shares, and its translation to ConnectionParams.

Plain data only: this file imports nothing from ansible.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import SSL_MODES, ConnectionParams

__all__ = ["connection_argument_spec", "connection_params"]


def connection_argument_spec():
    """A fresh copy of the shared connection options (doc fragment dbaops.mysql_ha.connection)."""
    return dict(
        login_host=dict(type="str"),
        login_port=dict(type="int", default=3306),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_unix_socket=dict(type="str"),
        # No default here: Ansible would expand it to /home/x/.my.cnf, which then looks
        # like a file named on purpose.  resolve_params() reads ~/.my.cnf when it exists.
        config_file=dict(type="path"),
        connect_timeout=dict(type="int", default=5),
        ssl_mode=dict(type="str", choices=list(SSL_MODES)),
        ssl_ca=dict(type="path"),
        ssl_cert=dict(type="path"),
        ssl_key=dict(type="path"),
    )


def connection_params(module_params, host=None, port=None):
    """ConnectionParams from a module's params (host/port overridable per member)."""
    return ConnectionParams(
        host=host if host is not None else module_params.get("login_host"),
        port=port if port is not None else module_params.get("login_port"),
        user=module_params.get("login_user"),
        password=module_params.get("login_password"),
        unix_socket=None if host is not None else module_params.get("login_unix_socket"),
        config_file=module_params.get("config_file"),
        connect_timeout=module_params.get("connect_timeout"),
        ssl_mode=module_params.get("ssl_mode"),
        ssl_ca=module_params.get("ssl_ca"),
        ssl_cert=module_params.get("ssl_cert"),
        ssl_key=module_params.get("ssl_key"),
    )
