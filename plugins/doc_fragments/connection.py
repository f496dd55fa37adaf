# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The connection options shared by every dbaops.mysql_ha module."""

    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host of the MySQL or MariaDB server.
      - When neither this nor O(login_unix_socket) is set, C(localhost) is used.
    type: str
  login_port:
    description:
      - TCP port of the server.
    type: int
    default: 3306
  login_user:
    description:
      - User name to log in with; read from O(config_file) when not set.
    type: str
  login_password:
    description:
      - Password to log in with; read from O(config_file) when not set.
      - Sent as UTF-8, as the mysql client sends it.
      - Never returned, logged or shown in messages.
    type: str
  login_unix_socket:
    description:
      - Path of the server's unix socket. Used instead of TCP when O(login_host) is not set.
    type: str
  config_file:
    description:
      - A my.cnf style option file whose C([client]) and C([mysqlha]) groups supply unset options
        (user, password, host, port, socket, ssl-ca, ssl-cert, ssl-key, ssl-mode).
      - Defaults to C(~/.my.cnf) of the user the module runs as, read only when it exists;
        any other file named here must exist.
      - Read the way the mysql client reads it, quotes around values, backslash escapes (C(\\), C(\"), C(\s), ...),
        C(#) comments, C(!include) and C(!includedir) included; a world-writable file is refused.
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the TCP connect, for the MySQL handshake and for each answer.
      - A server that accepts TCP but does not answer within this time is reported as hung.
      - More than 0 and at most 3600.
    type: int
    default: 5
  ssl_mode:
    description:
      - C(disabled) never uses TLS; C(preferred) uses it when the server offers it;
        C(required) insists on TLS without checking the certificate;
        C(verify_ca) checks the certificate chain against O(ssl_ca);
        C(verify_identity) also checks that the certificate names O(login_host).
      - Defaults to C(verify_ca) when O(ssl_ca) is set, else C(preferred), as the mysql client does.
    type: str
    choices: [disabled, preferred, required, verify_ca, verify_identity]
  ssl_ca:
    description:
      - CA certificate (PEM) that signed the server certificate.
    type: path
  ssl_cert:
    description:
      - Client certificate (PEM), with O(ssl_key).
    type: path
  ssl_key:
    description:
      - Client private key (PEM), with O(ssl_cert).
    type: path
requirements:
  - PyMySQL >= 1.1
"""
